import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { createLifecycle, type LifecycleTarget, recordProcessFault, renderProcessFaults, type SignalName } from "./agent_lifecycle.ts";

function harness(drainMs = 5000) {
  const handlers = new Map<SignalName, () => void>();
  const logs: { level: string; msg: string }[] = [];
  const lc = createLifecycle({ onSignal: (s, h) => (handlers.set(s, h), () => {}), log: () => (level, msg) => void logs.push({ level, msg }), drainMs: () => drainMs });
  const calls: string[] = [];
  let stopSignal: AbortSignal | undefined;
  let finishStop!: () => void;
  const target: LifecycleTarget = {
    reload: () => (calls.push("reload"), Promise.resolve()),
    stop: (reason, signal) => {
      calls.push(`stop:${reason}`);
      stopSignal = signal;
      return new Promise<void>((r) => {
        finishStop = r;
        signal.addEventListener("abort", () => r(), { once: true });
      });
    },
  };
  return { lc, send: (s: SignalName) => handlers.get(s)!(), logs, calls, target, stopSignal: () => stopSignal, finishStop: () => finishStop() };
}

const tick = () => new Promise((r) => setTimeout(r, 0));

describe("createLifecycle()", () => {
  it("installs all three handlers at once; SIGHUP during start-up is queued and runs once", async () => {
    const h = harness();
    h.send("SIGHUP");
    h.send("SIGHUP");
    assert.equal(h.lc.phase, "starting");
    assert.equal(h.logs.filter((l) => l.msg.includes("during start-up")).length, 1);
    h.lc.started(h.target);
    await tick();
    assert.deepEqual(h.calls, ["reload"]);
    h.send("SIGHUP");
    await tick();
    assert.deepEqual(h.calls, ["reload", "reload"]);
  });

  it("SIGTERM during start-up stops once started, and wins over a queued reload", async () => {
    const h = harness();
    h.send("SIGHUP");
    h.send("SIGTERM");
    h.lc.started(h.target);
    await tick();
    assert.deepEqual(h.calls, ["stop:SIGTERM"]);
    h.finishStop();
    assert.equal(await h.lc.done, "SIGTERM");
    assert.equal(h.lc.phase, "stopped");
  });

  it("during the drain SIGHUP is ignored with a log line and a second SIGTERM cuts the drain short", async () => {
    const h = harness(60_000);
    h.lc.started(h.target);
    h.send("SIGINT");
    await tick();
    assert.equal(h.lc.phase, "draining");
    h.send("SIGHUP");
    assert.ok(h.logs.some((l) => l.msg === "SIGHUP ignored: the agent is draining"));
    assert.equal(h.stopSignal()!.aborted, false);
    h.send("SIGTERM");
    assert.equal(h.stopSignal()!.aborted, true, "the drain bound is aborted at once");
    assert.ok(h.logs.some((l) => l.level === "warn" && l.msg.includes("cutting it short")));
    assert.equal(await h.lc.done, "SIGINT");
    h.send("SIGTERM");
    h.send("SIGHUP");
    assert.deepEqual(h.calls, ["stop:SIGINT"], "nothing after stopped");
  });

  it("the drain is bounded by drainMs without a second signal", async () => {
    const h = harness(30);
    h.lc.started(h.target);
    h.send("SIGTERM");
    await tick();
    const t0 = Date.now();
    await h.lc.done;
    assert.ok(Date.now() - t0 < 1000);
    assert.equal(h.stopSignal()!.aborted, true);
  });

  it("start-up failure ends it", async () => {
    const h = harness();
    h.lc.failed();
    assert.equal(await h.lc.done, "start-up failed");
  });
});

describe("recordProcessFault()", () => {
  it("counts by kind, logs the stack, and renders counters", () => {
    const f = { unhandledRejections: 0, uncaughtExceptions: 0 };
    const logs: Record<string, unknown>[] = [];
    recordProcessFault(f, "unhandledRejection", new Error("stray"), (_l, _m, fields) => void logs.push(fields!));
    recordProcessFault(f, "uncaughtException", "a string", (_l, _m, fields) => void logs.push(fields!));
    assert.deepEqual(f, { unhandledRejections: 1, uncaughtExceptions: 1 });
    assert.match(String(logs[0].stack), /stray\n\s+at /);
    assert.equal(logs[1].error, "a string");
    const text = renderProcessFaults(f);
    assert.match(text, /^edgeprobe_unhandled_rejections_total 1$/m);
    assert.match(text, /^edgeprobe_uncaught_exceptions_total 1$/m);
  });
});
