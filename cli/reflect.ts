/** @module `edgeprobe reflect KIND [--listen ADDR] [--recovery N] [--hostile MODE]`: a lab responder, or a lying peer. */
import { reflectors } from "../probes/mod.ts";
import { HOSTILE_MODES, type HostileMode, hostileKinds, startHostilePeer } from "../probes/hostile/mod.ts";
import { nodeNet } from "../runtime/node_net.ts";
import { stderrLogger } from "../common/log.ts";
import { parseArgs } from "./args.ts";
import type { CommandIO } from "./io.ts";

export function reflectUsage(): string {
  const kinds = Object.values(reflectors).map((r) => `  ${r.kind.padEnd(9)} ${r.summary} (default ${r.defaultListen})`).join("\n");
  return `Usage: edgeprobe reflect KIND [--listen ADDR] [--recovery N] [--option value ...]
       edgeprobe reflect KIND --hostile MODE [--listen ADDR]

Answers probes of one protocol per its spec, for demos and path tests. SIGHUP simulates a
peer restart (the recovery value moves on); SIGINT/SIGTERM stop it.

With --hostile, a peer that lies instead (docs/health.md "Faults"); a probe must turn each mode
into malformed or timeout within its timeout:
  garbage    64 random octets for every request
  half       the first half of a well-formed answer, then silence
  huge       a header declaring the largest length the format holds (4 GiB where it can)
  wrong-seq  a well-formed answer with the wrong sequence / hop-by-hop / CSeq / id / stream
  silent     accept or read, never answer
  Hostile kinds: ${hostileKinds().join(", ")}

Kinds:
${kinds || "  (none)"}`;
}

export async function reflectCommand(argv: readonly string[], io: CommandIO): Promise<number> {
  const { positionals, flags } = parseArgs(argv);
  if (flags.help || flags.h) {
    io.out(reflectUsage() + "\n");
    return 0;
  }
  const [kindName] = positionals;
  if (flags.hostile !== undefined) return hostileCommand(kindName, positionals.length, flags, io);
  const reflector = kindName ? reflectors[kindName] : undefined;
  if (!reflector || positionals.length > 1) {
    io.err(`Cannot start reflector: unknown kind ${JSON.stringify(kindName ?? "")} (known: ${Object.keys(reflectors).join(", ")})\n`);
    return 2;
  }
  let recovery: number | undefined;
  if (flags.recovery !== undefined) {
    recovery = Number(flags.recovery);
    if (!Number.isInteger(recovery) || recovery < 0) {
      io.err(`Cannot start reflector: --recovery: expected a non-negative integer, got ${JSON.stringify(flags.recovery)}\n`);
      return 2;
    }
  }
  const extra: Record<string, string> = {};
  for (const [k, v] of Object.entries(flags)) {
    if (k !== "listen" && k !== "recovery") extra[k] = Array.isArray(v) ? v.join(",") : String(v);
  }
  const log = stderrLogger("info", { reflector: kindName });
  let handle;
  try {
    handle = await reflector.start({
      listen: typeof flags.listen === "string" ? flags.listen : reflector.defaultListen,
      recovery,
      extra,
    }, { net: nodeNet, now: () => Date.now(), log });
  } catch (e) {
    io.err(`Cannot start reflector ${kindName}: ${(e as Error).message}\n`);
    return 1;
  }
  io.out(`reflect ${kindName} listening on ${handle.address.address}:${handle.address.port}\n`);
  const h = handle;
  await new Promise<void>((resolve) => {
    const offHup = io.onSignal("SIGHUP", () => {
      h.restart();
      log("info", "simulated restart");
    });
    const stop = () => {
      offHup();
      offInt();
      offTerm();
      resolve();
    };
    const offInt = io.onSignal("SIGINT", stop);
    const offTerm = io.onSignal("SIGTERM", stop);
  });
  await handle.close();
  return 0;
}

async function hostileCommand(kind: string | undefined, n: number, flags: Record<string, unknown>, io: CommandIO): Promise<number> {
  const mode = String(flags.hostile) as HostileMode;
  const extra = Object.keys(flags).filter((k) => k !== "hostile" && k !== "listen");
  if (!kind || n > 1 || !hostileKinds().includes(kind)) {
    io.err(`Cannot start hostile peer: unknown kind ${JSON.stringify(kind ?? "")} (known: ${hostileKinds().join(", ")})\n`);
    return 2;
  }
  if (!HOSTILE_MODES.includes(mode)) {
    io.err(`Cannot start hostile peer: --hostile ${JSON.stringify(flags.hostile)} (known: ${HOSTILE_MODES.join(", ")})\n`);
    return 2;
  }
  if (extra.length) {
    io.err(`Cannot start hostile peer: --${extra[0]} is not an option of a hostile peer (only --listen)\n`);
    return 2;
  }
  const log = stderrLogger("info", { reflector: kind, hostile: mode });
  let handle;
  try {
    handle = await startHostilePeer({ kind, mode, listen: typeof flags.listen === "string" ? flags.listen : undefined }, { net: nodeNet, now: () => Date.now(), log });
  } catch (e) {
    io.err(`Cannot start hostile peer ${kind}: ${(e as Error).message}\n`);
    return 1;
  }
  io.out(`reflect ${kind} --hostile ${mode} listening on ${handle.address.address}:${handle.address.port}\n`);
  await new Promise<void>((resolve) => {
    const stop = () => {
      offInt();
      offTerm();
      offHup();
      resolve();
    };
    const offInt = io.onSignal("SIGINT", stop);
    const offTerm = io.onSignal("SIGTERM", stop);
    const offHup = io.onSignal("SIGHUP", () => log("info", "SIGHUP ignored: a hostile peer has nothing to restart"));
  });
  await handle.close();
  return 0;
}
