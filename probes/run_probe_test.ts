import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { classifyError, runProbe, startProbeRun } from "./run_probe.ts";
import { DecodeError, ProbeFailureError } from "./errors.ts";
import { systemClock } from "../runtime/clock.ts";
import type { ProbeInstance } from "./types.ts";

const probe = (run: ProbeInstance["run"]): ProbeInstance => ({ run, close: () => Promise.resolve() });

describe("classifyError()", () => {
  it("a peer whose bytes the HTTP parser or TLS refuses is malformed, not local", () => {
    assert.equal(classifyError(Object.assign(new Error("Parse Error: Expected HTTP/"), { code: "HPE_INVALID_CONSTANT" })), "malformed");
    assert.equal(classifyError(Object.assign(new Error("WRONG_VERSION_NUMBER"), { code: "ERR_SSL_WRONG_VERSION_NUMBER" })), "malformed");
    assert.equal(classifyError(Object.assign(new Error("x"), { code: "ERR_SSL_PACKET_LENGTH_TOO_LONG" })), "malformed");
    // Bun.connect's TLS (measured against `edgeprobe reflect tcp --hostile garbage`).
    assert.equal(classifyError(Object.assign(new Error("error:100000f7:SSL routines:OPENSSL_internal:WRONG_VERSION_NUMBER"), { code: "EPROTO" })), "malformed");
    assert.equal(classifyError(Object.assign(new Error("x"), { code: "ERR_SSL_CERTIFICATE_VERIFY_FAILED" })), "local", "a certificate problem is not a malformed answer");
  });

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
  it("startProbeRun().abort() ends a run at once, aborting the probe's signal with the reason", async () => {
    let seen: unknown;
    const run = startProbeRun(probe((signal) => new Promise((_, rej) => signal.addEventListener("abort", () => rej(seen = signal.reason)))), 10_000, systemClock);
    const reason = new DOMException("probe removed", "AbortError");
    run.abort(reason);
    const r = await run.result;
    assert.equal(seen, reason);
    assert.equal(r.ok, false);
    assert.equal(r.failure?.kind, "timeout");
    assert.equal(r.failure?.message, "probe removed");
  });
  it("startProbeRun(onSettled) hands over the result once, and `result` read afterwards is the same result", async () => {
    const got: unknown[] = [];
    const run = startProbeRun(probe(() => Promise.resolve({ ok: true, facts: { a: 1 } })), 1000, systemClock, (r) => got.push(r));
    await new Promise((res) => setTimeout(res, 0));
    assert.equal(got.length, 1);
    assert.equal(await run.result, got[0], "read after it settled");
    const failing = startProbeRun(probe(() => Promise.reject(Object.assign(new Error("x"), { code: "ECONNREFUSED" }))), 1000, systemClock, (r) => got.push(r));
    const early = failing.result; // read before it settled
    assert.equal(await early, got[1]);
    assert.equal((got[1] as { failure?: { kind: string } }).failure?.kind, "refused");
    assert.equal(got.length, 2);
  });
  it("the timeout aborts the probe's signal with a TimeoutError, and a run that ends first is not touched by it", async () => {
    let reason: unknown;
    const r = await runProbe(probe((signal) => new Promise((_, rej) => signal.addEventListener("abort", () => rej(reason = signal.reason)))), 30, systemClock);
    assert.equal((reason as Error).name, "TimeoutError");
    assert.equal(r.failure?.message, "Cannot get an answer: no response within 30ms");
    let signal!: AbortSignal;
    const fast = await runProbe(probe((s) => (signal = s, Promise.resolve({ ok: true }))), 30, systemClock);
    assert.equal(fast.ok, true);
    await new Promise((res) => setTimeout(res, 60));
    assert.equal(signal.aborted, false, "the timer is cleared when the run ends");
  });
});
