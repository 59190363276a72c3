/**
 * @module `edgeprobe hash-password`: the password comes on standard input (never in argv, where
 * `ps` and shell history would show it), the PHC scrypt string goes to standard output for the
 * collector's `auth.users.<name>.passwordHash`.
 */
import { hashPassword } from "../collector/auth/mod.ts";
import { parseArgs } from "./args.ts";
import type { CommandIO } from "./io.ts";

export const HASH_PASSWORD_USAGE = `Usage: edgeprobe hash-password < password-file

Reads one password from standard input (the first line; a trailing newline is not part of it)
and prints its scrypt hash, to paste into the collector config:

  auth:
    users:
      alice: { role: viewer, passwordHash: "<the printed hash>" }

Example: printf '%s' "$PASS" | edgeprobe hash-password
`;

export async function hashPasswordCommand(argv: readonly string[], io: CommandIO): Promise<number> {
  const { flags, positionals } = parseArgs(argv);
  if (flags.help || flags.h) {
    io.out(HASH_PASSWORD_USAGE);
    return 0;
  }
  if (positionals.length > 0 || Object.keys(flags).length > 0 || !io.readStdin) {
    io.err(`Cannot hash a password: it is read from standard input, not from arguments\n${HASH_PASSWORD_USAGE}`);
    return 2;
  }
  const password = (await io.readStdin()).split(/\r?\n/)[0];
  if (password.length < 8) {
    io.err("Cannot hash a password: expected at least 8 characters on standard input\n");
    return 2;
  }
  io.out(`${await hashPassword(password)}\n`);
  return 0;
}
