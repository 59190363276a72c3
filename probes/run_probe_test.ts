import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { classifyError, runProbe } from "./run_probe.ts";
import { DecodeError, ProbeFailureError } from "./errors.ts";
import { systemClock } from "../runtime/clock.ts";
import type { ProbeInstance } from "./types.ts";

const probe = (run: ProbeInstance["run"]): ProbeInstance => ({ run, close: () => Promise.resolve() });

describe("classifyError()", () => {
  it("maps socket codes to the closed failure set", () => {
    assert.equal(classifyError(Object.assign(new Error("x"), { code: "ECONNREFUSED" })), "refused");
    assert.equal(classifyError(Object.assign(new Error("x"), { code: "EHOSTUNREACH" })), "unreachable");
    assert.equal(classifyError(Object.assign(new Error("x"), { code: "EADDRNOTAVAIL" })), "local");
    assert.equal(classifyError(new DecodeError("pfcp", 3, "Cannot decode")), "malformed");
    assert.equal(classifyError(new DOMException("t", "TimeoutError")), "timeout");
    assert.equal(classifyError(new ProbeFailureError("rejected", "no")), "rejected");
    assert.equal(classifyError(new Error("wrapped", { cause: Object.assign(new Error("x"), { code: "ECONNREFUSED" }) })), "refused");
  });
});

describe("runProbe()", () => {
  it("keeps the probe's own RTT and facts", async () => {
    const r = await runProbe(probe(() => Promise.resolve({ ok: true, latencyMs: 1.25, facts: { a: 1 } })), 1000, systemClock);
    assert.equal(r.ok, true);
    assert.equal(r.latencyMs, 1.25);
    assert.deepEqual(r.facts, { a: 1 });
  });
  it("turns a hanging probe into a timeout within its budget", async () => {
    const t0 = performance.now();
    const r = await runProbe(probe(() => new Promise(() => {})), 50, systemClock);
    assert.equal(r.ok, false);
    assert.equal(r.failure?.kind, "timeout");
    assert.ok(performance.now() - t0 < 2000);
  });
  it("turns a DecodeError into malformed, never a throw", async () => {
    const r = await runProbe(probe(() => Promise.reject(new DecodeError("gtpu", 0, "Cannot decode GTP-U header: bad version"))), 1000, systemClock);
    assert.equal(r.failure?.kind, "malformed");
    assert.match(r.failure!.message, /bad version/);
  });
  it("stops at once when the parent signal aborts", async () => {
    const ac = new AbortController();
    const p = runProbe(probe(() => new Promise(() => {})), 10_000, systemClock, ac.signal);
    ac.abort(new DOMException("stop", "AbortError"));
    const r = await p;
    assert.equal(r.ok, false);
  });
});
