/**
 * A child process for the file-size-limit test: appends N records to a spool in DIR and prints
 * one JSON line of results. Run under `prlimit --fsize=BYTES`, where write(2) comes back short and
 * then fails with EFBIG (Bun ignores SIGXFSZ; Deno dies of it, see docs/health.md "Faults").
 * Usage: bun tests/faults/_spool_writer.ts DIR N BOOT
 */
import { openSpool } from "../../agent/spool.ts";

const [dir, n, boot] = process.argv.slice(2);
const drops: number[] = [];
const s = openSpool({ dir, maxBytes: 1 << 20, segmentBytes: 4096, agentId: "a1", bootId: boot, onDrop: (r) => void drops.push(r), retry: { initialMs: 0, maxMs: 0 } });
const appended: number[] = [];
for (let i = 0; i < Number(n); i++) appended.push(s.append(new TextEncoder().encode(`${boot}-record-${i + 1}-${"x".repeat(80)}`)));
const peeked = s.peek(100_000)?.records.map((r) => ({ seq: r.seq, text: new TextDecoder().decode(r.payload) })) ?? [];
console.log(JSON.stringify({ stats: s.stats(), drops, peeked }));
s.close();
