/**
 * @module Names on NATS for the JetStream store (docs/scale-out.md): subject tokens, key-value
 * keys, and the partition of an agent. Pure.
 */

/**
 * One subject token or key-value key token from any string: letters, digits, `-` and `_` stay;
 * every other UTF-8 byte becomes `=XX`. NATS subjects split on `.` and reserve `*`/`>`; KV keys
 * allow only `[-/_=.a-zA-Z0-9]` (ADR-8), so `=` is safe in both.
 */
export function encodeToken(s: string): string {
  if (s === "") return "=";
  if (/^[A-Za-z0-9_-]+$/.test(s)) return s;
  let out = "";
  for (const b of new TextEncoder().encode(s)) {
    const c = String.fromCharCode(b);
    out += /[A-Za-z0-9_-]/.test(c) ? c : "=" + b.toString(16).toUpperCase().padStart(2, "0");
  }
  return out;
}

/**
 * FNV-1a (32 bit) of the token's UTF-8 bytes, modulo `n`: the hash nats-server's
 * `partition(n, …)` subject mapping function uses (checked against a real nats-server in
 * tests/nats/partition_test.ts), so an operator may equally let the server map
 * `<prefix>.<region>.<agent>` to partitions.
 */
export function partitionOf(agentToken: string, n: number): number {
  let h = 0x811c9dc5;
  for (const b of new TextEncoder().encode(agentToken)) {
    h ^= b;
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h % n;
}

/** `ack.<agent>.<boot>`: the shared ack of one agent boot (compare-and-set). */
export const ackKey = (agentId: string, bootId: string) => `ack.${encodeToken(agentId)}.${encodeToken(bootId)}`;
/** `node.<agent>`: one node's shared view, written by the owner of its partition. */
export const nodeKey = (agentId: string) => `node.${encodeToken(agentId)}`;
/**
 * `node.<agent>.ev`: the node's recent events, rewritten only when they change. Under `node.`, so
 * the one filter `node.>` of every collector's fleet view follows both (nats-server 2.9 has no
 * multi-filter consumers); an agent token never holds a `.` (encodeToken escapes it).
 */
export const eventsKey = (agentId: string) => `node.${encodeToken(agentId)}.ev`;
/** `pos.<p>`: the stream sequence up to which the owner of partition p has applied it. */
export const positionKey = (partition: number) => `pos.${partition}`;
/** `p.<p>` in the lease bucket: who owns partition p (expires with the bucket's TTL). */
export const leaseKey = (partition: number) => `p.${partition}`;
/** `m.<collector>` in the lease bucket: a live collector (expires with the bucket's TTL). */
export const memberKey = (collectorId: string) => `m.${encodeToken(collectorId)}`;

/** Subject of a batch: `<prefix>.<partition>.<region>.<agent>`. */
export const batchSubject = (prefix: string, partitions: number, region: string, agentId: string) => {
  const agent = encodeToken(agentId);
  return `${prefix}.${partitionOf(agent, partitions)}.${region}.${agent}`;
};

/** Subjects of one partition in the stream (the filter of its consumer). */
export const partitionFilter = (prefix: string, partition: number) => `${prefix}.${partition}.>`;

/** Requests for a partition's minute aggregates, answered by its owner (outside the stream's subjects). */
export const querySubject = (prefix: string, stream: string, partition: number) => `${prefix}_query.${stream}.${partition}`;
