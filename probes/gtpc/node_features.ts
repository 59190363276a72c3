/** @module Node Features IE bits (TS 29.274 §8.83; names as tshark 4.0 shows them). */

export const NodeFeature = { PRN: 0x01, MABR: 0x02, NTSR: 0x04, CIOT: 0x08 } as const;

/** 0x03 → "PRN,MABR"; unknown bits as "bit5" etc. */
export function nodeFeatureNames(bits: number): string {
  const names: string[] = [];
  for (let i = 0; i < 8; i++) {
    const bit = 1 << i;
    if (!(bits & bit)) continue;
    const known = Object.entries(NodeFeature).find(([, v]) => v === bit);
    names.push(known ? known[0] : `bit${i + 1}`);
  }
  return names.join(",");
}
