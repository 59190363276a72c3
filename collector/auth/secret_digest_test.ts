import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { sameSecret, SecretTable, secretDigest } from "./secret_digest.ts";

describe("secret_digest", () => {
  it("secretDigest() is SHA-256 hex (FIPS 180-4 test vector 'abc')", () => {
    assert.equal(secretDigest("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  });
  it("sameSecret() compares secrets of any length", () => {
    assert.equal(sameSecret("token-0123456789abcdef", "token-0123456789abcdef"), true);
    assert.equal(sameSecret("token-0123456789abcdef", "token-0123456789abcdeg"), false);
    assert.equal(sameSecret("short", "a-much-longer-secret-value"), false);
  });
  it("SecretTable finds a value by its secret and nothing by a prefix, a suffix or the empty string", () => {
    const t = new SecretTable([["agent-a-token-0123456789", "upf-a"], ["agent-b-token-0123456789", "upf-b"]] as const);
    assert.equal(t.size, 2);
    assert.equal(t.find("agent-a-token-0123456789"), "upf-a");
    assert.equal(t.find("agent-b-token-0123456789"), "upf-b");
    assert.equal(t.find("agent-a-token-012345678"), undefined);
    assert.equal(t.find("agent-a-token-01234567890"), undefined);
    assert.equal(t.find(""), undefined);
  });
});
