/** @module `edgeprobe reflect KIND [--listen ADDR] [--recovery N]`: a lab responder. */
import { reflectors } from "../probes/mod.ts";
import { nodeNet } from "../runtime/node_net.ts";
import { stderrLogger } from "../common/log.ts";
import { parseArgs } from "./args.ts";
import type { CommandIO } from "./io.ts";

export function reflectUsage(): string {
  const kinds = Object.values(reflectors).map((r) => `  ${r.kind.padEnd(9)} ${r.summary} (default ${r.defaultListen})`).join("\n");
  return `Usage: edgeprobe reflect KIND [--listen ADDR] [--recovery N] [--option value ...]

Answers probes of one protocol per its spec, for demos and path tests. SIGHUP simulates a
peer restart (the recovery value moves on); SIGINT/SIGTERM stop it.

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
