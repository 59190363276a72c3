/**
 * scripts/test.sh cannot end green when a runner dies: it records every runner's exit status and
 * expected JUnit file, and scripts/junit_summary.mjs counts a missing file or a non-zero exit
 * without a failed case as a failure named in the closing lines. Proved here with stand-in
 * `bun` and `deno` executables (first on test.sh's PATH) that die in the ways a real runner does.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const root = new URL("../../", import.meta.url).pathname;
const PASSING_XML = `<?xml version="1.0"?><testsuites><testsuite name="s"><testcase name="ok" /></testsuite></testsuites>`;

/** A stand-in runner: writes `xml` (if any) where the real one would, then exits with `code`. */
function fakeRunner(xml: string | undefined, code: number, outFlag: string): string {
  const write = xml === undefined ? "" : `for a in "$@"; do case "$a" in ${outFlag}=*) printf '%s' '${xml}' > "\${a#${outFlag}=}";; esac; done`;
  return `#!/usr/bin/env bash\n${write}\nexit ${code}\n`;
}

function runTestSh(bun: { xml?: string; code: number }, deno: { xml?: string; code: number }) {
  const dir = mkdtempSync(join(tmpdir(), "edgeprobe-testsh-"));
  try {
    mkdirSync(join(dir, "scripts"));
    mkdirSync(join(dir, "node_modules/.bin"), { recursive: true });
    copyFileSync(join(root, "scripts/test.sh"), join(dir, "scripts/test.sh"));
    copyFileSync(join(root, "scripts/junit_summary.mjs"), join(dir, "scripts/junit_summary.mjs"));
    writeFileSync(join(dir, "a_test.ts"), "");
    for (const [name, spec, flag] of [["bun", bun, "--reporter-outfile"], ["deno", deno, "--junit-path"]] as const) {
      const p = join(dir, "node_modules/.bin", name);
      writeFileSync(p, fakeRunner(spec.xml, spec.code, flag));
      chmodSync(p, 0o755);
    }
    const r = spawnSync("bash", [join(dir, "scripts/test.sh"), "unit"], { encoding: "utf8", timeout: 30_000 });
    return { status: r.status, out: r.stdout + r.stderr };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe("scripts/test.sh", () => {
  it("ends green when every runner exits 0 with its file", () => {
    const r = runTestSh({ xml: PASSING_XML, code: 0 }, { xml: PASSING_XML, code: 0 });
    assert.equal(r.status, 0, r.out);
    assert.match(r.out, /^2 passed, 0 failed$/m);
  });
  it("fails, naming the runner, when a runner dies before writing its file", () => {
    const r = runTestSh({ code: 137 }, { xml: PASSING_XML, code: 0 });
    assert.notEqual(r.status, 0, r.out);
    assert.match(r.out, /^FAILED RUNNER bun-unit wrote no .*bun-unit\.xml \(exit status 137\)$/m);
    assert.match(r.out, /^1 passed, 1 failed$/m);
  });
  it("fails when a runner exits non-zero although its file shows no failed case", () => {
    const r = runTestSh({ xml: PASSING_XML, code: 0 }, { xml: PASSING_XML, code: 134 });
    assert.notEqual(r.status, 0, r.out);
    assert.match(r.out, /^FAILED RUNNER deno-unit exited with status 134/m);
    assert.match(r.out, /^2 passed, 1 failed$/m);
  });
});
