import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import fc from "fast-check";
import { formatSenderTimestamp, parseSenderTimestamp } from "./sender_timestamp.ts";

const golden = JSON.parse(readFileSync(new URL("./testdata/sender_timestamp.json", import.meta.url), "utf8")) as {
  vectors: Array<{ name: string; text: string; epochMs: number; format: boolean }>;
  invalid: string[];
};

describe("3gpp-Sbi-Sender-Timestamp", () => {
  for (const v of golden.vectors) {
    it(`parses golden value: ${v.name}`, () => {
      assert.equal(parseSenderTimestamp(v.text), v.epochMs);
      if (v.format) assert.equal(formatSenderTimestamp(v.epochMs), v.text);
    });
  }
  for (const bad of golden.invalid) {
    it(`refuses ${JSON.stringify(bad)}`, () => assert.equal(parseSenderTimestamp(bad), undefined));
  }
  it("parse(format(t)) is t for any millisecond in 1970-2100", () => {
    fc.assert(fc.property(fc.integer({ min: 0, max: 4102444800000 }), (t) => parseSenderTimestamp(formatSenderTimestamp(t)) === t));
  });
});
