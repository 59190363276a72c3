/** @module Shared engine of the UDP path-management kinds (private to probes/). */
export { createUdpEchoProbe } from "./udp_echo_probe.ts";
export type { EchoProtocol, EchoReply } from "./udp_echo_probe.ts";
export { resolveT1, udpEchoOptionShape } from "./options.ts";
export type { UdpEchoOptions } from "./options.ts";
export { RecoveryTracker } from "./recovery_tracker.ts";
export { SequenceSpace } from "./sequence_space.ts";
export { burstStats } from "./burst_stats.ts";
export { startUdpReflector } from "./udp_reflector.ts";
export type { ReflectorProtocol, UdpReflectorHandle } from "./udp_reflector.ts";
