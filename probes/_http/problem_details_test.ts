import { describe, it } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { readFileSync } from "node:fs";
import { decodeProblemDetails, describeProblem, isProblemJson } from "./problem_details.ts";
import { DecodeError } from "../errors.ts";

const golden = JSON.parse(readFileSync(new URL("./testdata/problem_details.json", import.meta.url), "utf8")) as {
  vectors: Array<{ name: string; json: string; expected?: unknown; mustFail?: string }>;
};
const bytes = (s: string) => new TextEncoder().encode(s);

describe("decodeProblemDetails()", () => {
  for (const v of golden.vectors) {
    it(`decodes golden vector: ${v.name}`, () => {
      if (v.mustFail) {
        assert.throws(() => decodeProblemDetails(bytes(v.json)), (e: Error) => e instanceof DecodeError && e.message.startsWith(v.mustFail!));
      } else {
        assert.deepEqual(decodeProblemDetails(bytes(v.json)), v.expected);
      }
    });
  }
  it("never throws anything but DecodeError on arbitrary bytes", () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 200 }), (b) => {
      try {
        decodeProblemDetails(b);
      } catch (e) {
        if (!(e instanceof DecodeError)) throw e;
      }
    }));
  });
  it("describeProblem() puts the cause first", () => {
    assert.equal(describeProblem({ cause: "NF_CONGESTION", title: "Service Unavailable", detail: "busy" }), "NF_CONGESTION: Service Unavailable (busy)");
    assert.equal(describeProblem({}), "no cause given");
  });
  it("isProblemJson() accepts parameters and rejects plain JSON", () => {
    assert.equal(isProblemJson("application/problem+json; charset=utf-8"), true);
    assert.equal(isProblemJson("application/json"), false);
    assert.equal(isProblemJson(undefined), false);
  });
});
