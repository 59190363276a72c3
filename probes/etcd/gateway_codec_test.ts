import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import fc from "fast-check";
import {
  decodeAuthenticate,
  decodeBase64,
  decodeGatewayError,
  decodeKeepAlive,
  decodeLeaseGrant,
  decodeRange,
  decodeStatus,
  encodeBase64,
  int64Field,
  memberIdHex,
} from "./gateway_codec.ts";
import { DecodeError } from "../errors.ts";

const g = JSON.parse(readFileSync(new URL("./testdata/gateway.json", import.meta.url), "utf8"));
const b = (s: string) => new TextEncoder().encode(s);

describe("etcd gateway codec (golden answers of etcd 3.4.23)", () => {
  for (const v of g.status) {
    it(`decodeStatus(): ${v.name}`, () => assert.deepEqual(decodeStatus(b(v.json)), v.expected));
  }
  it("decodeLeaseGrant() keeps a lease ID above 2^53 exact", () => {
    const lease = decodeLeaseGrant(b(g.leaseGrant.json));
    assert.equal(lease.id, g.leaseGrant.id);
    assert.equal(lease.ttl, 5);
    // The reason for strings: as a Number the ID would be off.
    assert.notEqual(String(Number(g.leaseGrant.id)), g.leaseGrant.id);
  });
  it("decodeRange() decodes base64 keys and values", () => {
    const r = decodeRange(b(g.range.json));
    assert.deepEqual(r.kvs[0], { key: g.range.key, value: g.range.value, lease: g.range.lease, modRevision: "2" });
    assert.equal(r.revision, g.range.revision);
    assert.deepEqual(decodeRange(b(g.rangeMiss)).kvs, []);
  });
  it("decodeKeepAlive() tells a live lease from an expired one (TTL omitted)", () => {
    assert.deepEqual(decodeKeepAlive(b(g.keepalive)), { id: g.leaseGrant.id, ttl: 5 });
    assert.deepEqual(decodeKeepAlive(b(g.keepaliveExpired)), { id: g.leaseGrant.id, ttl: 0 });
  });
  it("decodeAuthenticate() returns the token", () => assert.equal(decodeAuthenticate(b(g.authenticate)), "iruvGbboXACizTSN.20"));
  for (const e of g.errors) {
    it(`decodeGatewayError(): ${e.name}`, () => assert.deepEqual(decodeGatewayError(b(e.json)), { code: e.code, message: e.message }));
  }
  it("memberIdHex() matches etcdctl's hex member IDs", () => {
    // `etcdctl member list` printed this member (ID 11417610130673999598 in JSON) as 9e737febb6b99eee.
    assert.equal(memberIdHex("11417610130673999598"), "9e737febb6b99eee");
  });
});

describe("etcd gateway codec on bad input", () => {
  it("refuses numbers that are not exact and strings that are not integers", () => {
    assert.throws(() => int64Field({ ID: 2228897046463807238 }, "ID", "x"), DecodeError);
    assert.throws(() => int64Field({ ID: "12a" }, "ID", "x"), DecodeError);
    assert.equal(int64Field({}, "ID", "x"), "0");
  });
  it("refuses non-base64 keys", () => assert.throws(() => decodeBase64("a*b=", "key"), DecodeError));
  it("base64 round-trips any text", () => {
    fc.assert(fc.property(fc.string(), (s) => decodeBase64(encodeBase64(s), "x") === s));
  });
  it("throws only DecodeError on arbitrary bytes", () => {
    for (const fn of [decodeStatus, decodeLeaseGrant, decodeKeepAlive, decodeRange, decodeAuthenticate]) {
      fc.assert(fc.property(fc.oneof(fc.uint8Array({ maxLength: 80 }), fc.json().map((j) => b(j))), (bytes) => {
        try {
          fn(bytes);
        } catch (e) {
          if (!(e instanceof DecodeError)) throw e;
        }
      }));
    }
  });
});
