import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { expectStatus, formatStatusRanges, parseStatusItem, statusMatches } from "./status_policy.ts";

describe("expectStatus", () => {
  it("defaults to the 2xx class", () => {
    const r = expectStatus.parse(undefined);
    assert.deepEqual(r, [[200, 299]]);
    assert.equal(statusMatches(r, 204), true);
    assert.equal(statusMatches(r, 301), false);
  });
  it("accepts classes, ranges, codes and comma lists", () => {
    const r = expectStatus.parse(["3xx", "200-204", 404, "418,500"]);
    assert.deepEqual(r, [[300, 399], [200, 204], [404, 404], [418, 418], [500, 500]]);
    assert.equal(formatStatusRanges(r), "3xx, 200-204, 404, 418, 500");
  });
  it("rejects nonsense with the offending value", () => {
    const res = expectStatus.safeParse(["2xx", "20x"]);
    assert.equal(res.success, false);
    assert.match(res.error!.issues[0].message, /"20x"/);
    assert.equal(parseStatusItem("600"), undefined);
    assert.equal(parseStatusItem("299-200"), undefined);
  });
});
