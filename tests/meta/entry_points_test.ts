/** The README's entry points from source: `bun run X` and `deno task X` reach the same CLI. */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";

const root = new URL("../../", import.meta.url).pathname;
const run = (cmd: string, args: string[]) => execFileSync(`${root}node_modules/.bin/${cmd}`, args, { cwd: root, encoding: "utf8", timeout: 60_000 });

describe("entry points", () => {
  it("deno task edgeprobe version runs the CLI on Deno", () => {
    assert.match(run("deno", ["task", "edgeprobe", "version"]), /^edgeprobe 0\.1\.0 \(target source, runtime deno /m);
  });
  it("bun run edgeprobe version runs the CLI on Bun", () => {
    assert.match(run("bun", ["run", "edgeprobe", "version"]), /^edgeprobe 0\.1\.0 \(target source, runtime bun /m);
  });
  it("deno task check validates the shipped example", () => {
    assert.match(run("deno", ["task", "check", "--config", "examples/loopback.yaml"]), /valid agent config for edge-demo/);
  });
});
