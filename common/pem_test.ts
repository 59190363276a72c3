import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { MAX_PEM_BYTES, readPem } from "./pem.ts";

const dir = mkdtempSync(join(tmpdir(), "ep-pem-"));
const cert = new URL("../server/testdata/localhost.crt", import.meta.url).pathname;

describe("readPem()", () => {
  it("reads a PEM certificate as text", () => {
    assert.match(readPem(cert), /^-----BEGIN CERTIFICATE-----$/m);
  });
  it("names the file and what it is for when it cannot be read", () => {
    assert.throws(() => readPem("/nonexistent/ca.pem", "TLS ca"), (e: Error) => {
      assert.match(e.message, /^Cannot read TLS ca file \/nonexistent\/ca\.pem: .*ENOENT/);
      assert.ok(e.cause);
      return true;
    });
    assert.throws(() => readPem(dir, "TLS cert"), /^Error: Cannot read TLS cert file .*: /);
  });
  it("refuses a file with no PEM block (a DER file, a wrong path) and an oversized one", () => {
    const der = join(dir, "cert.der");
    writeFileSync(der, new Uint8Array([0x30, 0x82, 0x01, 0x0a]));
    assert.throws(() => readPem(der, "TLS ca"), /no PEM block/);
    const big = join(dir, "big.pem");
    writeFileSync(big, "-----BEGIN CERTIFICATE-----\n" + "A".repeat(MAX_PEM_BYTES) + "\n");
    assert.throws(() => readPem(big), /more than a PEM file holds/);
  });
});
