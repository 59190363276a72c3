import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { createServer as createHttp1Server, type Server } from "node:http";
import http2 from "node:http2";
import { probeKinds } from "../probes/mod.ts";
import { coerceFlagValue, parseArgs } from "./args.ts";
import type { CommandIO } from "./io.ts";
import { probeCommand } from "./probe.ts";
import { kebabCase, optionHelp } from "./probe_help.ts";

function capture() {
  let out = "", err = "";
  const io: CommandIO = { out: (t) => void (out += t), err: (t) => void (err += t), env: {}, onSignal: () => () => {} };
  return { io, out: () => out, err: () => err };
}

/** Split a command line the way a POSIX shell does for the words our examples use (single quotes only). */
function shellWords(line: string): string[] {
  return [...line.matchAll(/'([^']*)'|(\S+)/g)].map((m) => m[1] ?? m[2]);
}

describe("edgeprobe probe KIND --help", () => {
  for (const [name, kind] of Object.entries(probeKinds)) {
    it(`teaches ${name}: every option with its value, default and text, and an example`, async () => {
      const c = capture();
      assert.equal(await probeCommand([name, "--help"], c.io), 0);
      const text = c.out();
      assert.match(text, new RegExp(`^Usage: edgeprobe probe ${name} TARGET`));
      const opts = optionHelp(kind);
      const keys = Object.keys((kind.options as unknown as { shape: object }).shape);
      assert.deepEqual(opts.map((o) => o.key), keys, "every key of the schema, in order");
      for (const o of opts) {
        assert.ok(o.text.length > 0, `${name} option ${o.key} has a description (.describe())`);
        assert.equal(o.flag, `--${kebabCase(o.key)}`);
        assert.ok(text.includes(`  ${o.flag} ${o.value}`), `${o.flag} ${o.value} in:\n${text}`);
        if (o.default !== undefined) assert.ok(text.replace(/\s+/g, " ").includes(`Default: ${o.default}.`), `${o.key} default ${o.default}`);
      }
      // The example runs this kind and its flags pass the kind's own schema.
      assert.ok(kind.example, `${name} has an example`);
      const words = shellWords(kind.example);
      assert.deepEqual(words.slice(0, 3), ["edgeprobe", "probe", name]);
      assert.ok(text.includes(`Example:\n  ${kind.example}\n`));
      const { positionals, flags } = parseArgs(words.slice(3));
      assert.equal(positionals.length, 1, "one TARGET");
      const raw: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(flags)) if (!["timeout", "interval", "sourceAddress"].includes(k)) raw[k] = coerceFlagValue(v);
      const parsed = kind.options.safeParse(raw);
      assert.ok(parsed.success, `${kind.example}: ${parsed.success ? "" : parsed.error.message}`);
    });
  }

  it("shows literal defaults as the command line takes them", () => {
    const sip = Object.fromEntries(optionHelp(probeKinds.sip).map((o) => [o.key, o]));
    assert.equal(sip.t1.value, "DURATION");
    assert.equal(sip.t1.default, "500ms");
    assert.equal(sip.t2.default, "4s");
    assert.equal(sip.transport.value, "udp|tcp|tls");
    assert.equal(sip.transport.default, "udp");
    assert.equal(sip.maxForwards.value, "N 0..255");
    assert.equal(sip.user.default, undefined, "no default: the text says what happens");
    const pfcp = Object.fromEntries(optionHelp(probeKinds.pfcp).map((o) => [o.key, o]));
    assert.equal(pfcp.burstInterval.default, "10ms");
    assert.equal(pfcp.n1.default, "3");
    assert.equal(Object.fromEntries(optionHelp(probeKinds.http).map((o) => [o.key, o])).expectStatus.default, "2xx");
  });

  it("refuses an unknown kind with exit 2", async () => {
    const c = capture();
    assert.equal(await probeCommand(["nope", "--help"], c.io), 2);
    assert.match(c.err(), /^Cannot show help: unknown kind "nope" \(known: tcp, /);
  });

  it("keeps the general help without a kind", async () => {
    const c = capture();
    assert.equal(await probeCommand(["--help"], c.io), 0);
    assert.match(c.out(), /'edgeprobe probe KIND --help' lists/);
  });
});

describe("edgeprobe probe http|sbi URL", () => {
  const paths: string[] = [];
  let h1: Server;
  let h2: http2.Http2Server;
  let h1Port = 0, h2Port = 0;
  before(async () => {
    h1 = createHttp1Server((req, res) => {
      paths.push(`h1 ${req.url}`);
      res.end("{}");
    });
    h2 = http2.createServer();
    h2.on("stream", (stream, headers) => {
      paths.push(`h2 ${headers[":path"]}`);
      stream.respond({ ":status": 200, "content-type": "application/json" });
      stream.end("{}");
    });
    await new Promise<void>((r) => h1.listen(0, "127.0.0.1", r));
    await new Promise<void>((r) => h2.listen(0, "127.0.0.1", r));
    h1Port = (h1.address() as { port: number }).port;
    h2Port = (h2.address() as { port: number }).port;
  });
  after(async () => {
    h1.closeAllConnections();
    await new Promise((r) => h1.close(r));
    await new Promise((r) => h2.close(r));
  });

  it("requests a full URL as given (no slash appended), over HTTP/1.1 and over h2c", async () => {
    for (const [kind, url, seen] of [
      ["http", `http://127.0.0.1:${h1Port}/nf-profile.json`, "h1 /nf-profile.json"],
      ["http", `http://127.0.0.1:${h1Port}/nf-profile.json?x=1`, "h1 /nf-profile.json?x=1"],
      ["sbi", `http://127.0.0.1:${h2Port}/nf-profile.json`, "h2 /nf-profile.json"],
      ["sbi", `http://127.0.0.1:${h2Port}/nnrf-nfm/v1/nf-instances?limit=1`, "h2 /nnrf-nfm/v1/nf-instances?limit=1"],
    ]) {
      const c = capture();
      assert.equal(await probeCommand([kind, url, "--timeout", "2s"], c.io), 0, c.out() + c.err());
      assert.equal(paths.at(-1), seen);
      assert.match(c.out(), new RegExp(`^OK ${kind} `));
    }
  });
});
