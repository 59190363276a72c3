import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { hashPassword, parsePasswordHash, verifyPassword } from "./password_hash.ts";

// Written by Python's hashlib.scrypt (OpenSSL), not by our encoder:
//   hashlib.scrypt(b"correct horse battery", salt=b"edgeprobe-salt16", n=2**15, r=8, p=1, dklen=32)
const PY_LN15 = "$scrypt$ln=15,r=8,p=1$ZWRnZXByb2JlLXNhbHQxNg$6vd5bNmi14+NV14EZpwXEvLFKdHAQoCKf8PzOePHgNk";
//   hashlib.scrypt("påss".encode(), salt=b"edgeprobe-salt16", n=2**10, r=8, p=2, dklen=32)
const PY_LN10 = "$scrypt$ln=10,r=8,p=2$ZWRnZXByb2JlLXNhbHQxNg$k0587pES97gNBcYS1aJMn+yNNh5n36jHZIQj+vGpOkA";

describe("verifyPassword()", () => {
  it("accepts hashes written by another scrypt implementation, and only with the right password", async () => {
    assert.equal(await verifyPassword("correct horse battery", PY_LN15), true);
    assert.equal(await verifyPassword("correct horse batterz", PY_LN15), false);
    assert.equal(await verifyPassword("påss", PY_LN10), true);
    assert.equal(await verifyPassword("pass", PY_LN10), false);
  });
  it("round-trips hashPassword() with a fresh salt each time", async () => {
    const a = await hashPassword("s3cret", { ln: 10, r: 8, p: 1 });
    const b = await hashPassword("s3cret", { ln: 10, r: 8, p: 1 });
    assert.notEqual(a, b);
    assert.match(a, /^\$scrypt\$ln=10,r=8,p=1\$[A-Za-z0-9+/]{22}\$[A-Za-z0-9+/]{43}$/);
    assert.equal(await verifyPassword("s3cret", a), true);
    assert.equal(await verifyPassword("s3cret ", b), false);
  });
  it("refuses malformed hashes and parameters that would make a login expensive", async () => {
    assert.equal(await verifyPassword("x", "plain-text-password"), false);
    assert.match(parsePasswordHash("$2b$10$abc") as string, /^expected \$scrypt\$/);
    assert.match(parsePasswordHash("$scrypt$ln=22,r=8,p=1$ZWRnZXByb2JlLXNhbHQxNg$k0587pES97gNBcYS1aJMn+yNNh5n36jHZIQj+vGpOkA") as string, /outside ln 10-20/);
    assert.match(parsePasswordHash("$scrypt$ln=20,r=8,p=4$ZWRnZXByb2JlLXNhbHQxNg$k0587pES97gNBcYS1aJMn+yNNh5n36jHZIQj+vGpOkA") as string, /need more than 256 MiB per login/);
  });
});
