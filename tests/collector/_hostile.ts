/**
 * What a hostile agent (holding the shared agent token) and a hostile network client send to the
 * collector in tests/collector/hostile_agent_test.ts: payload builders and raw-socket clients.
 * Batches are written by cborg (an independent encoder) where our own encoder would refuse them.
 */
import * as net from "node:net";
import * as http2 from "node:http2";
import { encode as cborgEncode } from "cborg";
import { encodeBatch } from "../../telemetry/codec.ts";
import type { TelemetryRecord } from "../../telemetry/record.ts";

export const CT = "application/vnd.edgeprobe.telemetry+cbor";

/** One facts object shared by tag 28 and referenced `refs` times by tag 29 (cbor-x decodes these by default). */
export function sharedValueBomb(refs: number): Uint8Array {
  const head = [0x87, 0x01, 0x68, ...new TextEncoder().encode("evil-tag"), 0x62, 0x62, 0x31, 0x01, 0x1b, 0x00, 0x00, 0x01, 0x9a, 0xc0, 0x00, 0x00, 0x00, 0x80];
  const recs: number[] = [0x99, (refs + 1) >> 8, (refs + 1) & 0xff];
  // [1, 0, "p", "k", 1, 0, facts...] with 40 facts, shared
  const facts: number[] = [0x98, 40];
  for (let i = 0; i < 20; i++) facts.push(0x61, 0x61 + (i % 26), 0x78, 0x40, ...new Array(0x40).fill(0x78));
  recs.push(0xd8, 0x1c, 0x87, 0x01, 0x00, 0x61, 0x70, 0x61, 0x6b, 0x01, 0x01, ...facts);
  for (let i = 0; i < refs; i++) recs.push(0xd8, 0x1d, 0x00);
  return new Uint8Array([...head, ...recs]);
}

/** `n` state events in one batch: about 6 bytes each on the wire. */
export function manyStateEvents(n: number, at: number): Uint8Array {
  const records = Array.from({ length: n }, (_, i) => [2, i === 0 ? at : 0, 0, i % 2, (i + 1) % 2]);
  return cborgEncode([1, "evil-flood", "b1", 1, at, ["p"], records]);
}

const probe = (seq: number, at: number, name = "p0"): TelemetryRecord => ({ seq, type: "probe", at, probe: name, kind: "tcp", ok: true, latencyUs: 100 }) as TelemetryRecord;

/** A batch under someone else's (agentId, bootId) that starts at `seq`. */
export function jumpBatch(agentId: string, bootId: string, seq: number, at: number): Uint8Array {
  return encodeBatch({ agentId, bootId, records: [probe(seq, at)] });
}

export function batchOf(agentId: string, records: TelemetryRecord[], bootId = "b1"): Uint8Array {
  return encodeBatch({ agentId, bootId, records });
}

export function distinctProbes(agentId: string, n: number, at: number): Uint8Array {
  return batchOf(agentId, Array.from({ length: n }, (_, i) => probe(i + 1, at, `p${i}`)));
}

export function farFuture(agentId: string, now: number): Uint8Array {
  return batchOf(agentId, [probe(1, 8.64e15), probe(2, 0), probe(3, now)]);
}

export function hugeProbeName(agentId: string, at: number): Uint8Array {
  return batchOf(agentId, [probe(1, at, "x".repeat(200_000))]);
}

export async function post(url: string, body: Uint8Array, token?: string): Promise<number> {
  const res = await fetch(`${url}/api/v1/ingest`, {
    method: "POST",
    body: body as Uint8Array<ArrayBuffer>,
    headers: { "content-type": CT, ...(token ? { authorization: `Bearer ${token}` } : {}) },
  });
  await res.arrayBuffer();
  return res.status;
}

/** Open `n` TCP connections that send nothing; resolves with a function giving how many are still open. */
export async function idleConnections(port: number, n: number): Promise<{ open(): number; close(): void }> {
  const socks: net.Socket[] = [];
  let open = 0;
  await Promise.all(Array.from({ length: n }, () =>
    new Promise<void>((resolve) => {
      const s = net.connect(port, "127.0.0.1", () => {
        open++;
        resolve();
      });
      s.on("error", () => resolve());
      s.on("close", () => void (open = Math.max(0, open - 1)));
      socks.push(s);
    })));
  return { open: () => open, close: () => socks.forEach((s) => s.destroy()) };
}

/** Slowloris: `n` connections each sending one byte of a request head every `everyMs`. */
export function slowloris(port: number, n: number, everyMs: number): { open(): number; close(): void } {
  const head = "GET /api/v1/fleet HTTP/1.1\r\nHost: c\r\nX-Slow: " + "a".repeat(4000);
  let open = 0;
  const socks: net.Socket[] = [];
  const timers: ReturnType<typeof setInterval>[] = [];
  for (let i = 0; i < n; i++) {
    const s = net.connect(port, "127.0.0.1", () => {
      open++;
      let p = 0;
      timers.push(setInterval(() => {
        if (!s.destroyed && p < head.length) s.write(head[p++]);
      }, everyMs));
    });
    s.on("error", () => {});
    s.on("close", () => void (open = Math.max(0, open - 1)));
    socks.push(s);
  }
  return { open: () => open, close: () => (timers.forEach(clearInterval), socks.forEach((s) => s.destroy())) };
}

/** Event-stream clients that never read a byte (a raw socket with a tiny receive window). */
export function stalledSse(port: number, n: number, token: string): { close(): void } {
  const socks: net.Socket[] = [];
  for (let i = 0; i < n; i++) {
    const s = net.connect(port, "127.0.0.1", () => {
      s.write(`GET /api/v1/events HTTP/1.1\r\nHost: c\r\nAuthorization: Bearer ${token}\r\nAccept: text/event-stream\r\n\r\n`);
      s.pause();
    });
    s.on("error", () => {});
    socks.push(s);
  }
  return { close: () => socks.forEach((s) => s.destroy()) };
}

/** An h2c client pushing `mb` MiB of DATA at the ingest endpoint without a token; resolves with the status it got (or "reset"). */
export function h2DataFlood(url: string, mb: number): Promise<number | string> {
  return new Promise((resolve) => {
    const session = http2.connect(url);
    session.on("error", () => resolve("session-error"));
    const req = session.request({ ":method": "POST", ":path": "/api/v1/ingest", "content-type": CT });
    let status: number | string = "none";
    req.on("response", (h) => (status = Number(h[":status"])));
    req.on("error", () => (status = status === "none" ? "reset" : status));
    const chunk = new Uint8Array(1024 * 1024);
    let sent = 0;
    const pump = () => {
      while (sent < mb) {
        sent++;
        if (!req.write(chunk)) return void req.once("drain", pump);
      }
      req.end();
    };
    req.on("close", () => {
      session.close();
      resolve(status);
    });
    pump();
    setTimeout(() => {
      req.close();
      session.destroy();
      resolve(status);
    }, 15_000);
  });
}

/** VmRSS of a process in MiB (Linux /proc). */
export async function rssMiB(pid: number): Promise<number> {
  const { readFileSync } = await import("node:fs");
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  return m ? Number(m[1]) / 1024 : NaN;
}

export function p99(samples: number[]): number {
  const s = [...samples].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil(0.99 * s.length) - 1)];
}
