import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { createWritePause } from "./spool_pause.ts";

describe("createWritePause()", () => {
  it("pauses after a failure, doubles the delay up to the cap and resumes on success", () => {
    const p = createWritePause({ initialMs: 100, maxMs: 350 });
    assert.equal(p.blocked(0), false);
    p.failed(1000, "ENOSPC");
    assert.equal(p.blocked(1099), true);
    assert.equal(p.blocked(1100), false, "time for a retry");
    p.failed(1100, "ENOSPC");
    assert.deepEqual(p.state(), { since: 1000, error: "ENOSPC", retryAt: 1300, failures: 2 });
    p.failed(1300, "ENOSPC");
    assert.equal(p.state()!.retryAt, 1650, "capped at 350");
    assert.equal(p.succeeded(), true);
    assert.equal(p.state(), undefined);
    assert.equal(p.blocked(1301), false);
    assert.equal(p.succeeded(), false, "no pause to end");
  });
});
