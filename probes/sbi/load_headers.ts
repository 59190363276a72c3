/**
 * @module `3gpp-Sbi-Lci` and `3gpp-Sbi-Oci` (TS 29.500 §6.3 load control, §6.4 overload control
 * [mem]): kept verbatim as facts, plus the metric when it can be read.
 */

/** "Load-Metric: 70%" → 70; undefined when absent or not a percentage 0-100. */
export function lciLoadMetric(header: string): number | undefined {
  const m = /Load-Metric:\s*(\d{1,3})%?/i.exec(header);
  const n = m ? Number(m[1]) : NaN;
  return n >= 0 && n <= 100 ? n : undefined;
}

/** "Overload-Reduction-Metric: 50%" → 50. */
export function ociReductionMetric(header: string): number | undefined {
  const m = /Overload-Reduction-Metric:\s*(\d{1,3})%?/i.exec(header);
  const n = m ? Number(m[1]) : NaN;
  return n >= 0 && n <= 100 ? n : undefined;
}

/** Facts from a response's load and overload headers. */
export function loadFacts(headers: Readonly<Record<string, string>>): Record<string, string | number> {
  const out: Record<string, string | number> = {};
  const lci = headers["3gpp-sbi-lci"];
  const oci = headers["3gpp-sbi-oci"];
  if (lci !== undefined) {
    out.lci = lci;
    const m = lciLoadMetric(lci);
    if (m !== undefined) out.lciLoadMetric = m;
  }
  if (oci !== undefined) {
    out.oci = oci;
    const m = ociReductionMetric(oci);
    if (m !== undefined) out.ociReductionMetric = m;
  }
  return out;
}
