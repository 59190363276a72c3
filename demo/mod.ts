/** @module `edgeprobe demo`: a collector, agents and reflectors on loopback (docs/dashboard.md). */
export { type DemoCollector, type DemoDeps, type DemoHandle, startDemo } from "./start_demo.ts";
export { DEMO_CHAOS, DEMO_NF_INSTANCE, demoAgentDocs, type DemoPorts, demoPorts } from "./demo_plan.ts";
