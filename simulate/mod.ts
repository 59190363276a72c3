/** @module The fleet simulator: emulated agents driving real collectors (docs/fleet-simulator.md). */
export { type Simulation, type SimulationOptions, type SimulationStats, startSimulation } from "./simulation.ts";
export { PROBE_MIX, type ProbeSpec, probesOf } from "./probe_mix.ts";
export { type Behaviour, DEFAULT_BEHAVIOUR } from "./sim_agent.ts";
