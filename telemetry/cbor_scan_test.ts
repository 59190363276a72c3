import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { encode as cborgEncode } from "cborg";
import { DecodeError } from "../common/decode_error.ts";
import { scanCbor } from "./cbor_scan.ts";

const LIMITS = { maxDepth: 8, maxLength: 65_536 };
const hex = (h: string) => new Uint8Array(h.match(/../g)!.map((b) => parseInt(b, 16)));
const refused = (bytes: Uint8Array, re: RegExp) =>
  assert.throws(() => scanCbor(bytes, LIMITS), (e: Error) => e instanceof DecodeError && re.test(e.message));

describe("scanCbor()", () => {
  it("passes a batch written by another encoder (cborg)", () => {
    scanCbor(cborgEncode([1, "upf-1", "b1", 1, 1700000000000, ["n4", "pfcp"], [[1, 0, 0, 1, 1500, 0], [2, 5, 0, 0, 1]]]), LIMITS);
    scanCbor(cborgEncode({ a: [1.5, true, null, new Uint8Array([1, 2])] }), LIMITS);
  });
  it("refuses every tag, including the shared-value tags 28/29 (RFC 8949 §3.4, IANA CBOR tags)", () => {
    // d8 1c = tag 28 (shareable) around [1]; d8 1d 00 = tag 29 (sharedref 0)
    refused(hex("82d81c8101d81d00"), /CBOR tag 28 \(wire v1 uses no tags\) at byte 1/);
    refused(hex("c11a5f5e1000"), /CBOR tag 1 /);
    refused(hex("d8698100"), /CBOR tag 105 /); // cbor-x record extension
  });
  it("refuses declared lengths longer than the bytes left, before any allocation", () => {
    refused(hex("9b00000001000000000102"), /an array of 4294967296 items exceeds the limit of 65536/);
    refused(hex("9a0000fff0"), /an array of 65520 items is longer than the 0 bytes left/);
    refused(hex("5a0000fff0"), /not well-formed CBOR \(a string of 65520 bytes is longer than the 0 bytes left/);
    refused(hex("bb0000000000000002"), /a map of 2 items is longer than the 0 bytes left/);
  });
  it("refuses deep nesting, indefinite lengths, reserved values and trailing bytes", () => {
    refused(new Uint8Array([...new Array(9).fill(0x81), 0x00]), /CBOR nesting deeper than 8/);
    scanCbor(new Uint8Array([...new Array(8).fill(0x81), 0x00]), LIMITS);
    refused(hex("9f01ff"), /indefinite-length CBOR items are not used by wire v1/);
    refused(hex("1c"), /not well-formed CBOR \(reserved CBOR additional information 28/);
    refused(hex("ff"), /not well-formed CBOR \(a CBOR break outside an indefinite-length item/);
    refused(hex("0101"), /not well-formed CBOR \(1 bytes after the batch at byte 1\)/);
    refused(hex("82010203"), /not well-formed CBOR \(1 bytes after the batch at byte 3/);
    refused(hex("8301"), /not well-formed CBOR \(an array of 3 items is longer than the 1 bytes left/);
  });
});
