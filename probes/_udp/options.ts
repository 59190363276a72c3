/** @module Options shared by the UDP path-management kinds (pfcp, gtpu, gtpc). */
import { z } from "zod";
import { duration } from "../../common/duration.ts";

/** Spread into each kind's z.strictObject. */
export const udpEchoOptionShape = {
  t1: duration.optional().describe("T1: how long to wait for an answer before retransmitting (29.244 §6.4 \"T1\", 29.274 §7.6 \"T3-RESPONSE\"). Default: the run's timeout / (n1 + 1), as open5gs derives it, so every retransmission fits inside the run's budget."),
  n1: z.number().int().min(0).max(10).default(3).describe("N1: retransmissions after the first request (N3-REQUESTS for GTP)."),
  burst: z.number().int().min(1).max(1000).default(1).describe("Requests per run. With burst > 1 each request is sent once (no retransmission), a request unanswered within T1 counts as lost, and the run reports lossPercent and rttJitterMs."),
  burstInterval: duration.default(10).describe("Gap between the requests of a burst."),
};

export interface UdpEchoOptions {
  readonly t1?: number;
  readonly n1: number;
  readonly burst: number;
  readonly burstInterval: number;
}

/** T1 in ms, checked against the run budget. @throws TypeError when the options cannot fit the timeout. */
export function resolveT1(options: UdpEchoOptions, timeoutMs: number): number {
  const t1 = options.t1 ?? Math.max(1, Math.floor(timeoutMs / (options.n1 + 1)));
  if (options.burst === 1 && options.t1 !== undefined && t1 * (options.n1 + 1) > timeoutMs) {
    throw new TypeError(`Cannot schedule retransmissions: t1 ${t1}ms × (n1 ${options.n1} + 1) = ${t1 * (options.n1 + 1)}ms exceeds the timeout ${timeoutMs}ms`);
  }
  if (options.burst > 1 && (options.burst - 1) * options.burstInterval + t1 > timeoutMs) {
    throw new TypeError(`Cannot schedule a burst: ${options.burst - 1} × burstInterval ${options.burstInterval}ms + t1 ${t1}ms exceeds the timeout ${timeoutMs}ms`);
  }
  return t1;
}
