import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import { chmodSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { checkCommand } from "./check.ts";
import type { CommandIO } from "./io.ts";

const dir = new URL("../examples/", import.meta.url).pathname;
const files = readdirSync(dir).sort();

function capture(env: Record<string, string>) {
  let out = "", err = "";
  const io: CommandIO = { out: (t) => void (out += t), err: (t) => void (err += t), env, onSignal: () => () => {} };
  return { io, out: () => out, err: () => err };
}

/** `${VAR}` names a config expects from the environment (the unit's EnvironmentFile). */
const envVars = (text: string) => [...new Set([...text.matchAll(/\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g)].map((m) => m[1]))];

/** `systemd-analyze verify` when systemd is installed (.ci/apt.d/examples.txt), else undefined. */
function systemdAnalyze(): string | undefined {
  for (const p of ["/usr/bin/systemd-analyze", "/bin/systemd-analyze"]) {
    try {
      execFileSync(p, ["--version"], { stdio: "pipe" });
      return p;
    } catch {
      // not here
    }
  }
  return undefined;
}

describe("examples/", () => {
  it("ships an agent config, a collector config for SQLite and one for JetStream, and a unit for each program", () => {
    for (const f of ["loopback.yaml", "collector-sqlite.yaml", "collector-jetstream.yaml", "edgeprobe-agent.service", "edgeprobe-collector.service"]) {
      assert.ok(files.includes(f), f);
    }
    for (const f of files) assert.match(f, /\.(ya?ml|json|service)$/, `${f}: every example is a config or a unit, and is checked here`);
  });

  for (const f of files.filter((f) => /\.(ya?ml|json)$/.test(f))) {
    it(`edgeprobe check passes on ${f}`, async () => {
      const text = readFileSync(join(dir, f), "utf8");
      const vars = envVars(text);
      const c = capture(Object.fromEntries(vars.map((v) => [v, `example-${v.toLowerCase()}-0123456789`])));
      assert.equal(await checkCommand(["--config", join(dir, f)], c.io), 0, c.err());
      assert.match(c.out(), /: valid (agent|collector) config/);
      if (vars.length > 0) {
        // Without its environment the same file names every missing variable.
        const bare = capture({});
        assert.equal(await checkCommand(["--config", join(dir, f)], bare.io), 2);
        for (const v of vars) assert.match(bare.err(), new RegExp(`environment variable ${v} is not set`));
      }
    });
  }

  for (const f of files.filter((f) => f.endsWith(".service"))) {
    it(`${f} runs edgeprobe check before the program, on the same config`, () => {
      const text = readFileSync(join(dir, f), "utf8");
      const program = /^ExecStart=\/usr\/local\/bin\/edgeprobe (agent|collector) --config (\S+)$/m.exec(text);
      assert.ok(program, "ExecStart= runs the agent or the collector with --config");
      assert.match(text, new RegExp(`^ExecStartPre=/usr/local/bin/edgeprobe check --config ${program[2]}$`, "m"));
      assert.match(program[2], new RegExp(`^/etc/edgeprobe/${program[1]}\\.yaml$`));
    });

    const analyze = systemdAnalyze();
    it(`${f} passes systemd-analyze verify without a warning`, { skip: analyze ? false : "systemd-analyze is not installed" }, () => {
      // verify wants the ExecStart binary to exist: point the unit at a stand-in script.
      const tmp = mkdtempSync(join(tmpdir(), "edgeprobe-unit-"));
      try {
        const bin = join(tmp, "edgeprobe");
        writeFileSync(bin, "#!/bin/sh\nexit 0\n");
        chmodSync(bin, 0o755);
        // systemd-analyze exits 0 on unknown keys and bad values but names them on stderr.
        const verify = (name: string, text: string) => {
          writeFileSync(join(tmp, name), text.replaceAll("/usr/local/bin/edgeprobe", bin));
          const r = spawnSync(analyze!, ["verify", join(tmp, name)], { encoding: "utf8", timeout: 30_000 });
          return `${r.status === 0 ? "" : `exit ${r.status}\n`}${r.stderr}`;
        };
        const text = readFileSync(join(dir, f), "utf8");
        assert.equal(verify(f, text), "");
        // The check is real: a misspelt key in the same unit is reported.
        assert.match(verify(`typo-${f}`, text.replace("Restart=on-failure", "Restrat=on-failure")), /Unknown key 'Restrat'/);
      } finally {
        rmSync(tmp, { recursive: true, force: true });
      }
    });
  }
});
