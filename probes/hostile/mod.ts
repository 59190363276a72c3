/** @module Lying peers for every probe kind: `edgeprobe reflect KIND --hostile MODE`. */
export { HOSTILE_MAX_BUFFER, HOSTILE_MODES, hostileKinds, hostileReply, startHostilePeer } from "./hostile_peer.ts";
export type { HostileHandle, HostileMode, HostileOptions } from "./hostile_peer.ts";
export { hostileShapes } from "./shapes.ts";
export type { HostileShape } from "./shapes.ts";
