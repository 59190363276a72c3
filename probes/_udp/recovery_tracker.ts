/**
 * @module Peer restart detection from a recovery value: PFCP Recovery Time Stamp (modulo 2^32,
 * 23.007 §19A) or GTP-C restart counter (modulo 256, 23.007 §18).
 */
import type { ProbeEvent } from "../types.ts";

export interface RecoveryChange {
  readonly previous: number;
  readonly current: number;
  /** "forward": newer in serial-number arithmetic (RFC 1982); "backward": older, e.g. lost state. */
  readonly direction: "forward" | "backward";
}

export class RecoveryTracker {
  readonly modulus: number;
  /** Last value seen, undefined until the first answer. */
  last: number | undefined;
  /** Changes seen since this tracker was created. */
  restarts = 0;
  constructor(modulus: number) {
    this.modulus = modulus;
  }
  /**
   * Record a value. Any change counts as a restart: 23.007 names "newer" as the restart signal,
   * but a value that went back (a peer that lost its non-volatile counter) is just as much a new
   * incarnation, so it is reported too, with its direction.
   */
  observe(value: number): RecoveryChange | undefined {
    const previous = this.last;
    this.last = value;
    if (previous === undefined || previous === value) return undefined;
    this.restarts++;
    const diff = ((value - previous) % this.modulus + this.modulus) % this.modulus;
    return { previous, current: value, direction: diff < this.modulus / 2 ? "forward" : "backward" };
  }
}

/** The `peer-restart` event for a change (probes/types.ts ProbeEvent). */
export function peerRestartEvent(change: RecoveryChange, field: string, peer: string, restarts: number): ProbeEvent {
  return {
    type: "peer-restart",
    detail: { field, previous: change.previous, current: change.current, direction: change.direction, peer, peerRestarts: restarts },
  };
}
