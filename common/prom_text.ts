/** @module A small writer for the Prometheus text exposition format 0.0.4. */

export type Labels = Readonly<Record<string, string | number | undefined>>;

function escapeLabel(v: string): string {
  return v.replace(/\\/g, "\\\\").replace(/\n/g, "\\n").replace(/"/g, '\\"');
}

function fmtLabels(l: Labels): string {
  const parts = Object.entries(l).filter(([, v]) => v !== undefined && v !== "").map(([k, v]) => `${k}="${escapeLabel(String(v))}"`);
  return parts.length ? `{${parts.join(",")}}` : "";
}

function fmtValue(v: number): string {
  if (Number.isNaN(v)) return "NaN";
  if (v === Infinity) return "+Inf";
  if (v === -Infinity) return "-Inf";
  return String(v);
}

export class PromText {
  private out: string[] = [];
  private declared = new Set<string>();

  /** Declare a family once; later calls with the same name are ignored. */
  family(name: string, type: "gauge" | "counter" | "histogram" | "stateset" | "info", help: string): this {
    if (this.declared.has(name)) return this;
    this.declared.add(name);
    // 0.0.4 has no stateset/info types; they are gauges there.
    const t = type === "stateset" || type === "info" ? "gauge" : type;
    this.out.push(`# HELP ${name} ${help.replace(/\\/g, "\\\\").replace(/\n/g, "\\n")}`, `# TYPE ${name} ${t}`);
    return this;
  }

  sample(name: string, labels: Labels, value: number): this {
    this.out.push(`${name}${fmtLabels(labels)} ${fmtValue(value)}`);
    return this;
  }

  /** Cumulative bucket counts per bound, plus the +Inf bucket = count. */
  histogram(name: string, labels: Labels, bounds: readonly number[], cumulative: readonly number[], count: number, sum: number): this {
    bounds.forEach((b, i) => this.sample(`${name}_bucket`, { ...labels, le: String(b) }, cumulative[i]));
    this.sample(`${name}_bucket`, { ...labels, le: "+Inf" }, count);
    this.sample(`${name}_sum`, labels, sum);
    this.sample(`${name}_count`, labels, count);
    return this;
  }

  toString(): string {
    return this.out.join("\n") + "\n";
  }
}
