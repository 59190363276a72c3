/**
 * @module A binary min-heap of (due time, agent index): one timer serves the whole fleet, and a
 * tick costs O(k log n) for the k agents that are due, not O(n).
 */
export class DueQueue {
  private readonly at: number[] = [];
  private readonly who: number[] = [];

  get size(): number {
    return this.at.length;
  }

  push(due: number, index: number): void {
    const at = this.at, who = this.who;
    let i = at.length;
    at.push(due);
    who.push(index);
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (at[p] <= due) break;
      at[i] = at[p];
      who[i] = who[p];
      i = p;
    }
    at[i] = due;
    who[i] = index;
  }

  /** Due time of the earliest entry, or Infinity. */
  peek(): number {
    return this.at.length ? this.at[0] : Infinity;
  }

  /** Remove and return the earliest entry's index. */
  pop(): number {
    const at = this.at, who = this.who;
    const top = who[0];
    const lastAt = at.pop()!, lastWho = who.pop()!;
    const n = at.length;
    if (n === 0) return top;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) break;
      const c = l + 1 < n && at[l + 1] < at[l] ? l + 1 : l;
      if (at[c] >= lastAt) break;
      at[i] = at[c];
      who[i] = who[c];
      i = c;
    }
    at[i] = lastAt;
    who[i] = lastWho;
    return top;
  }
}
