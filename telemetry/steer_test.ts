import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { collectorBase, decideSteer, STEER_HINT_MAX } from "./steer.ts";

describe("collectorBase()", () => {
  it("compares scheme, host, port and path the way the WHATWG URL parser normalises them", () => {
    assert.equal(collectorBase("HTTP://C1.Example:80/x"), "http://c1.example/x/");
    assert.equal(collectorBase("http://c1.example/x/"), "http://c1.example/x/");
    assert.equal(collectorBase("https://10.0.0.2:443"), "https://10.0.0.2/");
    assert.equal(collectorBase("https://10.0.0.2:9443/"), "https://10.0.0.2:9443/");
    assert.equal(collectorBase("http://[::1]:9400"), "http://[::1]:9400/");
    assert.equal(collectorBase("http://c1:9400/?q=1#f"), "http://c1:9400/", "query and fragment are not part of a base");
  });
  it("refuses what is not an http(s) URL, and URLs with credentials", () => {
    for (const bad of ["", "c1:9400", "/api", "ftp://c1/", "javascript:alert(1)", "http://user:pw@c1/", "http://"]) assert.equal(collectorBase(bad), undefined, bad);
  });
});

describe("decideSteer()", () => {
  const bases = ["http://a:9400/", "http://b:9400/", "http://c:9400/"];
  it("follows a hint naming another configured collector", () => {
    assert.deepEqual(decideSteer("http://c:9400", bases, 0, Infinity, 30_000), { follow: true, index: 2 });
    assert.deepEqual(decideSteer("  HTTP://B:9400/ ", bases, 2, 30_000, 30_000), { follow: true, index: 1 });
  });
  it("ignores a URL outside the configured list: a hint adds no new trust", () => {
    assert.deepEqual(decideSteer("http://evil:9400/", bases, 0, Infinity, 30_000), { follow: false, reason: "unknown" });
    assert.deepEqual(decideSteer("https://b:9400/", bases, 0, Infinity, 30_000), { follow: false, reason: "unknown" }, "another scheme is another collector");
    assert.deepEqual(decideSteer("http://b:9400/other/", bases, 0, Infinity, 30_000), { follow: false, reason: "unknown" }, "another path too");
  });
  it("holds a second steer within steerEvery: a lease moving back and forth cannot ping-pong agents", () => {
    assert.deepEqual(decideSteer("http://b:9400/", bases, 0, 29_999, 30_000), { follow: false, reason: "held" });
    assert.deepEqual(decideSteer("http://b:9400/", bases, 0, 30_000, 30_000), { follow: true, index: 1 });
  });
  it("says why it does nothing: no hint, off, malformed, already there", () => {
    assert.deepEqual(decideSteer(null, bases, 0, Infinity, 30_000), { follow: false, reason: "none" });
    assert.deepEqual(decideSteer("", bases, 0, Infinity, 30_000), { follow: false, reason: "none" });
    assert.deepEqual(decideSteer("http://b:9400/", bases, 0, Infinity, 0), { follow: false, reason: "off" });
    assert.deepEqual(decideSteer("b:9400", bases, 0, Infinity, 30_000), { follow: false, reason: "malformed" });
    assert.deepEqual(decideSteer("http://a:9400/", bases, 0, Infinity, 30_000), { follow: false, reason: "current" });
  });
  it("refuses a hint longer than STEER_HINT_MAX before parsing it (a hostile value costs no URL parse)", () => {
    const long = "http://b:9400/" + "x".repeat(STEER_HINT_MAX);
    assert.deepEqual(decideSteer(long, [...bases, collectorBase(long)], 0, Infinity, 30_000), { follow: false, reason: "malformed" }, "even when it is in the list");
    assert.deepEqual(decideSteer("http://b:9400/" + "z".repeat(1_000_000), bases, 0, Infinity, 30_000), { follow: false, reason: "malformed" });
  });

});
