import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { cpuCapacity, processLoadMeter } from "./process_load.ts";

describe("processLoadMeter()", () => {
  it("reads the CPU over the last window, divided by the capacity", () => {
    let t = 0, cpu = 0, cap = 1;
    const meter = processLoadMeter({ now: () => t, cpuMicros: () => cpu, capacity: () => cap, windowMs: 2000 });
    assert.equal(meter(), 0, "no window yet");
    t = 1000, cpu = 500_000;
    assert.equal(meter(), 0.5);
    t = 2000, cpu = 600_000;
    assert.equal(meter(), 0.3, "0.6 s of CPU over the 2 s window");
    t = 3000, cpu = 700_000;
    assert.equal(meter(), 0.1, "the busy first second left the window");
    cap = 0.25;
    t = 4000, cpu = 800_000;
    assert.equal(meter(), 0.4, "0.1 core of a 0.25-core quota");
  });

  it("measures this process: a busy loop reads well above an idle wait", async () => {
    const meter = processLoadMeter({ capacity: () => 1 });
    meter();
    const end = Date.now() + 200;
    while (Date.now() < end) { /* spin */ }
    const busy = meter();
    await new Promise((r) => setTimeout(r, 300));
    assert.ok(busy > 0.1, `busy ${busy}`);
  });
});

describe("cpuCapacity()", () => {
  it("is a positive fraction of at most one core", () => {
    const c = cpuCapacity();
    assert.ok(c > 0 && c <= 1, String(c));
  });
});
