/** @module Loss and RTT statistics of one burst. */
import { roundMs } from "../../common/round_ms.ts";

export interface BurstStats {
  readonly sent: number;
  readonly received: number;
  readonly lossPercent: number;
  readonly rttMinMs: number;
  readonly rttAvgMs: number;
  readonly rttMaxMs: number;
  /**
   * Mean absolute difference of consecutive RTTs, in send order (the instantaneous
   * delay variation of RFC 3550 §6.4.1, without its 1/16 smoothing). 0 with fewer than 2 answers.
   */
  readonly rttJitterMs: number;
}

/** @param rtts one entry per request in send order; undefined = lost. */
export function burstStats(rtts: readonly (number | undefined)[]): BurstStats {
  const got = rtts.filter((r): r is number => r !== undefined);
  const sent = rtts.length;
  let jitter = 0;
  for (let i = 1; i < got.length; i++) jitter += Math.abs(got[i] - got[i - 1]);
  const r3 = roundMs;
  return {
    sent,
    received: got.length,
    lossPercent: sent === 0 ? 0 : r3(((sent - got.length) / sent) * 100),
    rttMinMs: got.length ? r3(Math.min(...got)) : 0,
    rttAvgMs: got.length ? r3(got.reduce((a, b) => a + b, 0) / got.length) : 0,
    rttMaxMs: got.length ? r3(Math.max(...got)) : 0,
    rttJitterMs: got.length > 1 ? r3(jitter / (got.length - 1)) : 0,
  };
}
