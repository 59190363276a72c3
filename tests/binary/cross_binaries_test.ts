/**
 * The cross-compiled binaries: linux-arm64 under Debian's user-mode qemu (an arm64 glibc from
 * libc6-arm64-cross as the sysroot), and linux-x64-musl, which needs musl's libstdc++ and so
 * runs only where that exists (Alpine); on glibc Debian we check its ELF header instead.
 * Ports 24550-24569 on 127.0.0.1. qemu is slow: a cold start takes seconds.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { existsSync, openSync, readSync, closeSync, statSync } from "node:fs";
import { ensureBuilt } from "./ensure_built.ts";
import { type AgentProcess, healthzStatus, spawnAgent, waitFor } from "./agent_process.ts";
import { curl } from "./curl.ts";

const SYSROOT = "/usr/aarch64-linux-gnu";
const QEMU = "qemu-aarch64-static";
/**
 * qemu's arguments before the binary. `-L` alone is not enough on a host that also has Debian's
 * multiarch `libc6:arm64`: the sysroot's loader then reads the host's /etc/ld.so.cache, finds the
 * multiarch libc under /lib/aarch64-linux-gnu and spins at 100% CPU (seen in a clean-clone CI
 * run). Naming the sysroot's library folder first makes the lookup the same on either host.
 */
const QEMU_ARGS = ["-L", SYSROOT, "-E", `LD_LIBRARY_PATH=${SYSROOT}/lib`];

function run(cmd: string, args: string[], timeoutMs = 120_000): Promise<{ code: number; out: string; err: string }> {
  return new Promise((resolve) => {
    execFile(cmd, args, { timeout: timeoutMs, maxBuffer: 1 << 20 }, (e, out, err) => {
      resolve({ code: e ? (typeof e.code === "number" ? e.code : -1) : 0, out, err: err || (e ? e.message : "") });
    });
  });
}

/** True when `needle` occurs in the file (streamed; the binaries are ~100 MB). */
function fileContains(path: string, needle: string): boolean {
  const want = Buffer.from(needle);
  const fd = openSync(path, "r");
  try {
    const buf = Buffer.alloc(1 << 20);
    let carry = Buffer.alloc(0);
    for (;;) {
      const n = readSync(fd, buf, 0, buf.length, null);
      if (n === 0) return false;
      const chunk = Buffer.concat([carry, buf.subarray(0, n)]);
      if (chunk.includes(want)) return true;
      carry = chunk.subarray(Math.max(0, chunk.length - want.length + 1));
    }
  } finally {
    closeSync(fd);
  }
}

describe("linux-arm64 binary under qemu-user-static", () => {
  let bin: string;
  before(async () => {
    bin = await ensureBuilt("linux-arm64");
  });

  it("is an aarch64 ELF", async () => {
    const r = await run("file", ["-b", bin]);
    assert.match(r.out, /ELF 64-bit LSB executable, ARM aarch64/);
  });

  it("version names linux-arm64", async () => {
    assert.ok(existsSync(`${SYSROOT}/lib/ld-linux-aarch64.so.1`), `the arm64 sysroot is missing: apt-get install libc6-arm64-cross`);
    const r = await run(QEMU, [...QEMU_ARGS, bin, "version"]);
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /^edgeprobe \d+\.\d+\.\d+ \(target linux-arm64, runtime bun \d+\.\d+\.\d+, bun\)\n$/);
  });

  describe("agent", () => {
    const port = 24550;
    let agent: AgentProcess;
    before(async () => {
      agent = spawnAgent({
        command: [QEMU, ...QEMU_ARGS, bin],
        config: `agent: { id: bin-arm64 }
server: { listen: "127.0.0.1:${port}" }
probes: []
`,
      });
      await waitFor("the arm64 agent answering", () => healthzStatus(port), 90_000, 100);
    });
    after(async () => {
      await agent?.stop(10_000);
    });

    it("answers /healthz over HTTP/1.1 and h2c, and exits 0 on SIGTERM", async () => {
      const h1 = await curl(["--http1.1"], `http://127.0.0.1:${port}/healthz`, 30_000);
      assert.deepEqual([h1.status, h1.httpVersion], [200, "1.1"], agent.logs());
      assert.equal(JSON.parse(h1.body).status, "UP");
      const h2 = await curl(["--http2-prior-knowledge"], `http://127.0.0.1:${port}/healthz`, 30_000);
      assert.deepEqual([h2.status, h2.httpVersion], [200, "2"], agent.logs());
      const status = await curl([], `http://127.0.0.1:${port}/status`, 30_000);
      assert.equal(JSON.parse(status.body).agent.target, "linux-arm64");
      const code = await agent.stop(30_000);
      assert.equal(code, 0, agent.logs());
    });
  });
});

describe("linux-x64-musl binary", () => {
  let bin: string;
  before(async () => {
    bin = await ensureBuilt("linux-x64-musl");
  });

  it("is an x86-64 ELF whose loader is musl's, with the target baked in", async () => {
    const r = await run("file", ["-b", bin]);
    assert.match(r.out, /ELF 64-bit LSB executable, x86-64/);
    assert.match(r.out, /interpreter \/lib\/ld-musl-x86_64\.so\.1/);
    assert.ok(statSync(bin).size > 10_000_000);
    assert.ok(fileContains(bin, "linux-x64-musl"), "the --define'd target string is not in the binary");
  });

  it("runs `version` where musl's loader and libstdc++ exist, else fails to load (glibc Debian)", async () => {
    const r = await run(bin, ["version"], 30_000);
    if (r.code === 0) {
      assert.match(r.out, /\(target linux-x64-musl, runtime bun /);
    } else {
      // Debian's `musl` package has the loader but no musl-built libstdc++.so.6, which Bun needs.
      assert.match(r.err, /libstdc\+\+|ld-musl|No such file|ENOENT/, r.err);
      console.log(`musl binary cannot run on this glibc system: ${r.err.split("\n")[0]}`);
    }
  });
});
