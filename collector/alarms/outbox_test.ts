import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { openSqliteAlarmRepo } from "./sqlite_repo.ts";
import { startOutbox } from "./outbox.ts";
import { webhookSender } from "./webhook.ts";

async function until(f: () => boolean, ms = 5000) {
  const end = Date.now() + ms;
  while (!f() && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
}

describe("outbox with the JSON webhook", () => {
  it("keeps messages while the receiver is down, retries with backoff, delivers them in order when it returns", async () => {
    const got: unknown[] = [];
    let up = false;
    const server = createServer(async (req, res) => {
      let t = "";
      for await (const c of req) t += c;
      if (!up) return void res.writeHead(503).end();
      got.push(...(JSON.parse(t) as { notifications: unknown[] }).notifications);
      res.writeHead(204).end();
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
    const repo = await openSqliteAlarmRepo(":memory:");
    const ctl = new AbortController();
    const logs: string[] = [];
    const ob = startOutbox(repo.outbox, webhookSender({ name: "noc", url, timeout: 1000 }), { minBackoff: 20, maxBackoff: 80, maxMessages: 1000, log: (_l, m) => void logs.push(m), signal: ctl.signal, random: () => 0.5 });
    ob.enqueue(['{"n":1}', '{"n":2}']);
    ob.enqueue(['{"n":3}']);
    await until(() => ob.stats().failures >= 3);
    assert.equal(ob.stats().pending, 3);
    assert.match(ob.stats().lastError ?? "", /^Cannot deliver to webhook noc: HTTP 503/);
    up = true;
    await until(() => got.length === 3 && ob.stats().pending === 0);
    assert.deepEqual(got, [{ n: 1 }, { n: 2 }, { n: 3 }]);
    assert.equal(ob.stats().pending, 0);
    assert.ok(logs.includes("alarms: northbound receiver is back"));
    ctl.abort();
    await repo.close();
    await new Promise<void>((r) => server.close(() => r()));
  });

  it("survives a restart (the queue is on disk) and bounds a receiver's backlog", async () => {
    const dir = await tempDir();
    const path = `${dir}/alarms.db`;
    let repo = await openSqliteAlarmRepo(path);
    const ctl = new AbortController();
    const down = { name: "noc", batch: 10, send: () => Promise.reject(new Error("down")) };
    const ob = startOutbox(repo.outbox, down, { minBackoff: 1000, maxBackoff: 1000, maxMessages: 100, log: () => {}, signal: ctl.signal });
    ob.enqueue(Array.from({ length: 150 }, (_, i) => String(i)));
    assert.equal(ob.stats().pending, 100);
    assert.equal(ob.stats().dropped, 50, "the oldest beyond maxMessages go first");
    ctl.abort();
    await repo.close();
    repo = await openSqliteAlarmRepo(path);
    const got: string[] = [];
    const ctl2 = new AbortController();
    startOutbox(repo.outbox, { name: "noc", batch: 10, send: (b) => (got.push(...b), Promise.resolve()) }, { minBackoff: 10, maxBackoff: 10, maxMessages: 100, log: () => {}, signal: ctl2.signal });
    await until(() => got.length === 100);
    assert.equal(got[0], "50");
    assert.equal(got[99], "149");
    ctl2.abort();
    await repo.close();
  });
});

async function tempDir(): Promise<string> {
  const { mkdtempSync } = await import("node:fs");
  const { tmpdir } = await import("node:os");
  const { join } = await import("node:path");
  return mkdtempSync(join(tmpdir(), "ep-outbox-"));
}
