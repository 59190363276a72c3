import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { fromHex, toHex } from "../_wire/hex.ts";
import { assertOnlyDecodeErrors, itDecodesGoldenVectors } from "../_wire/golden_vectors.ts";
import { decodeV2EchoRequest, decodeV2EchoResponse, encodeV2EchoRequest, encodeV2EchoResponse, encodeV2VersionNotSupported } from "./v2_echo.ts";
import { decodeV1EchoRequest, decodeV1EchoResponse, encodeV1EchoRequest } from "./v1_echo.ts";
import { decodeGtpcEchoReply, encodeV1VersionNotSupported } from "./echo_reply.ts";
import { nodeFeatureNames } from "./node_features.ts";
import golden from "./testdata/echo.json" with { type: "json" };
import peers from "./testdata/peers.json" with { type: "json" };

const decoders = {
  v2request: decodeV2EchoRequest,
  v2response: decodeV2EchoResponse,
  v2reply: (b: Uint8Array) => decodeGtpcEchoReply(b, 2),
  v1reply: (b: Uint8Array) => decodeGtpcEchoReply(b, 1),
  v1request: decodeV1EchoRequest,
  v1response: decodeV1EchoResponse,
};

describe("GTP-C echo golden vectors (testdata/echo.json)", () => {
  itDecodesGoldenVectors(golden, decoders);
});

describe("GTP-C echo captured from osmo-ggsn and gtp-echo-responder (testdata/peers.json)", () => {
  itDecodesGoldenVectors(peers, decoders);
});

describe("encodeV2EchoRequest()", () => {
  it("produces the docs/protocols.md A3 layout (sequence with the top bit cleared)", () => {
    // A3's request uses 0x8cd1c7; a conforming sender clears the top bit (29.274 §7.6), giving 0x0cd1c7.
    assert.equal(toHex(encodeV2EchoRequest({ sequence: 0x0cd1c7, recovery: 5 })), toHex(fromHex("40 01 0009 0cd1c7 00 03 0001 00 05")));
  });
  it("refuses a sequence with the top bit set", () => {
    assert.throws(() => encodeV2EchoRequest({ sequence: 0x8cd1c7, recovery: 5 }), /top bit must be 0/);
  });
  it("appends Node Features and counts it in the length", () => {
    assert.equal(toHex(encodeV2EchoResponse({ sequence: 0x0cd1c7, recovery: 9, nodeFeatures: 1 })), toHex(fromHex("40 02 000e 0cd1c7 00 03 0001 00 09 98 0001 00 01")));
  });
});

describe("Version Not Supported encoders", () => {
  it("v2 is a bare header with the sequence", () => {
    assert.equal(toHex(encodeV2VersionNotSupported(0x0cd1c7)), "400300040cd1c700");
  });
  it("v1 is a bare GTPv1 header with the sequence", () => {
    assert.deepEqual(decodeGtpcEchoReply(encodeV1VersionNotSupported(7), 1), { type: "version-not-supported", sequence: 7, peerVersion: 1 });
  });
});

describe("encodeV1EchoRequest()", () => {
  it("is the GTP-U echo request bytes", () => {
    assert.equal(toHex(encodeV1EchoRequest({ sequence: 0xdd68 })), "3201000400000000dd680000");
  });
});

describe("nodeFeatureNames()", () => {
  it("names the tshark 4.0 bits and numbers the rest", () => {
    assert.equal(nodeFeatureNames(0x01), "PRN");
    assert.equal(nodeFeatureNames(0x0f), "PRN,MABR,NTSR,CIOT");
    assert.equal(nodeFeatureNames(0x80), "bit8");
  });
});

describe("GTP-C decoders on arbitrary input (fast-check)", () => {
  const seeds = [...golden.vectors, ...peers.vectors].map((v) => fromHex(v.hex));
  for (const [name, decode] of Object.entries(decoders)) {
    it(`${name} throws only DecodeError`, () => assertOnlyDecodeErrors(decode, seeds));
  }
});
