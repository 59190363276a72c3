import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { verifyPassword } from "../collector/auth/mod.ts";
import { hashPasswordCommand } from "./hash_password.ts";
import type { CommandIO } from "./io.ts";

const io = (stdin: string) => {
  const out: string[] = [];
  const err: string[] = [];
  const o: CommandIO = { out: (t) => void out.push(t), err: (t) => void err.push(t), env: {}, onSignal: () => () => {}, readStdin: () => Promise.resolve(stdin) };
  return { o, out, err };
};

describe("edgeprobe hash-password", () => {
  it("prints a scrypt hash of the first line of stdin that verifies", async () => {
    const { o, out } = io("noc-password-1\n");
    assert.equal(await hashPasswordCommand([], o), 0);
    const hash = out.join("").trim();
    assert.match(hash, /^\$scrypt\$ln=15,r=8,p=1\$/);
    assert.equal(await verifyPassword("noc-password-1", hash), true);
  });
  it("refuses a password in argv and a short one", async () => {
    const a = io("");
    assert.equal(await hashPasswordCommand(["secret123"], a.o), 2);
    assert.match(a.err.join(""), /^Cannot hash a password: it is read from standard input/);
    const b = io("short\n");
    assert.equal(await hashPasswordCommand([], b.o), 2);
    assert.match(b.err.join(""), /at least 8 characters/);
  });
});
