import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { buildCea, buildCer, buildDpa, buildDpr, buildDwa, buildDwr, type PeerIdentity } from "./base.ts";
import { decodeMessage, encodeMessage } from "./message.ts";
import { encodeAddress } from "./avp.ts";
import { fromHex, toHex } from "../_wire/hex.ts";
import golden from "./testdata/freediameter.json" with { type: "json" };

const id: PeerIdentity = {
  originHost: "edgeprobe.localdomain",
  originRealm: "localdomain",
  hostIpAddresses: ["127.0.0.1"],
  vendorId: 0,
  productName: "edgeprobe",
  originStateId: 1795530589,
};
const shape = (m: ReturnType<typeof decodeMessage>) => m.avps.map((a) => ({ code: a.code, flags: a.flags, length: 8 + a.data.length }));
const tshark = (name: string) => golden.messages.find((m) => m.name === name)!.expected;

describe("base messages match what tshark dissected (AVP order, M bits, lengths; RFC 6733 §5)", () => {
  it("CER", () => {
    const cer = decodeMessage(encodeMessage(buildCer(id, { hopByHop: 1, endToEnd: 2 })));
    assert.equal(cer.flags, 0x80);
    assert.deepEqual(shape(cer), tshark("our CER, as tshark dissects it").avps.map(({ code, flags, length }) => ({ code, flags, length })));
  });
  it("DWR", () => {
    const dwr = decodeMessage(encodeMessage(buildDwr(id, { hopByHop: 1, endToEnd: 2 })));
    assert.deepEqual(shape(dwr), tshark("our DWR, as tshark dissects it").avps.map(({ code, flags, length }) => ({ code, flags, length })));
  });
  it("DPR with Disconnect-Cause REBOOTING", () => {
    const dpr = decodeMessage(encodeMessage(buildDpr(id, { hopByHop: 1, endToEnd: 2 }, 0)));
    assert.deepEqual(shape(dpr), tshark("our DPR, as tshark dissects it").avps.map(({ code, flags, length }) => ({ code, flags, length })));
  });
  it("a DWA answering freeDiameter's ids keeps them and clears R", () => {
    const req = { flags: 0x80, commandCode: 280, applicationId: 0, hopByHop: 0xdeadbeef, endToEnd: 0x01020304, avps: [] };
    const dwa = decodeMessage(encodeMessage(buildDwa(req, id)));
    assert.equal(dwa.flags, 0);
    assert.equal(dwa.hopByHop, 0xdeadbeef);
    assert.equal(dwa.endToEnd, 0x01020304);
    assert.deepEqual(dwa.avps.map((a) => a.code), [268, 264, 296, 278]);
  });
  it("a CEA with a 3xxx code sets the E bit and carries only the generic AVPs (§7.2)", () => {
    const req = decodeMessage(encodeMessage(buildCer(id, { hopByHop: 1, endToEnd: 2 })));
    const cea = buildCea(req, id, 3010);
    assert.equal(cea.flags, 0x20);
    assert.deepEqual(cea.avps.map((a) => a.code), [268, 264, 296]);
    assert.equal(buildDpa(req, id).flags, 0);
  });
});

describe("encodeAddress()", () => {
  it("encodes IPv4, IPv6 and v4-mapped as AddressType + octets (§4.3.1)", () => {
    assert.equal(toHex(encodeAddress("127.0.0.1")), "00017f000001");
    assert.equal(toHex(encodeAddress("::1")), "0002" + "0".repeat(31) + "1");
    assert.equal(toHex(encodeAddress("::ffff:10.0.0.1")), "00010a000001");
    assert.deepEqual(encodeAddress("2001:db8::2"), fromHex("0002 20010db8 00000000 00000000 00000002"));
    assert.throws(() => encodeAddress("host.example"), TypeError);
  });
});
