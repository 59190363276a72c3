/**
 * @module A scriptable ingest peer for fault tests: decodes batches with the real codec, acks the
 * highest contiguous seq per boot like the collector, and per POST can answer 400 problem+json,
 * or accept and never answer. Records it stored are kept to check exactly-once delivery.
 */
import http from "node:http";
import type { AddressInfo } from "node:net";
import { decodeBatch } from "../../telemetry/codec.ts";
import type { TelemetryRecord } from "../../telemetry/record.ts";

export type Answer = "ok" | "reject-400" | "unavailable" | "hang";

export interface FakeCollector {
  readonly url: string;
  /** Records stored, per bootId, in arrival order (a duplicate would show up twice). */
  readonly stored: Map<string, TelemetryRecord[]>;
  readonly posts: number;
  /** How to answer the next POST carrying `firstSeq`; the default is "ok". */
  answer: (post: number, firstSeq: number, records: readonly TelemetryRecord[]) => Answer;
  close(): Promise<void>;
}

export async function startFakeCollector(): Promise<FakeCollector> {
  const acked = new Map<string, number>();
  const stored = new Map<string, TelemetryRecord[]>();
  const hung = new Set<http.ServerResponse>();
  let posts = 0;
  const fc: FakeCollector = {
    url: "",
    stored,
    get posts() {
      return posts;
    },
    answer: () => "ok",
    async close() {
      for (const r of hung) r.destroy();
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const batch = decodeBatch(new Uint8Array(Buffer.concat(chunks)));
      const first = batch.records[0]?.seq ?? 0;
      const a = fc.answer(posts++, first, batch.records);
      if (a === "hang") return void hung.add(res);
      if (a === "unavailable") {
        res.writeHead(503, { "content-type": "application/problem+json", "retry-after": "1" });
        return res.end(JSON.stringify({ type: "https://edgeprobe.dev/problems/store-unavailable", title: "Service Unavailable", status: 503 }));
      }
      if (a === "reject-400") {
        res.writeHead(400, { "content-type": "application/problem+json" });
        return res.end(JSON.stringify({ type: "https://edgeprobe.dev/problems/malformed-batch", title: "Bad Request", status: 400, detail: "refused by the test" }));
      }
      let ack = acked.get(batch.bootId) ?? 0;
      const list = stored.get(batch.bootId) ?? [];
      for (const r of batch.records) {
        if (r.seq <= ack) continue; // a duplicate: acknowledged, not stored again
        list.push(r);
        ack = r.seq; // gaps (dropped records) are accepted, as the collector does
      }
      stored.set(batch.bootId, list);
      acked.set(batch.bootId, ack);
      res.writeHead(200, { "content-type": "application/json" });
      res.end(JSON.stringify({ agentId: batch.agentId, bootId: batch.bootId, ack }));
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
  (fc as { url: string }).url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return fc;
}
