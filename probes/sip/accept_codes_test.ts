import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { acceptCodesSchema, isAccepted } from "./accept_codes.ts";

describe("acceptCodesSchema", () => {
  it("normalizes a list, one code and a comma string", () => {
    assert.deepEqual(acceptCodesSchema.parse([200, "2XX"]), [200, "2xx"]);
    assert.deepEqual(acceptCodesSchema.parse(404), [404]);
    assert.deepEqual(acceptCodesSchema.parse("2xx, 404"), ["2xx", 404]);
  });
  it("rejects codes outside 100-699 and nonsense classes", () => {
    assert.equal(acceptCodesSchema.safeParse([700]).success, false);
    assert.equal(acceptCodesSchema.safeParse("7xx").success, false);
    assert.equal(acceptCodesSchema.safeParse([]).success, false);
  });
});

describe("isAccepted()", () => {
  it("matches exact codes and classes", () => {
    assert.equal(isAccepted(200, [200]), true);
    assert.equal(isAccepted(202, [200]), false);
    assert.equal(isAccepted(202, ["2xx"]), true);
    assert.equal(isAccepted(404, ["2xx", 404]), true);
    assert.equal(isAccepted(503, ["2xx", 404]), false);
  });
});
