/** @module How commands print: injected so tests can capture output. */
export interface CommandIO {
  out(text: string): void;
  err(text: string): void;
  env: Readonly<Record<string, string | undefined>>;
  /** Resolves when the user asks to stop (SIGINT/SIGTERM); commands that run forever await it. */
  onSignal(signal: "SIGINT" | "SIGTERM" | "SIGHUP", handler: () => void): () => void;
  /** All of standard input, for commands that take a secret there rather than in argv. */
  readStdin?(): Promise<string>;
  /** Errors no handler caught; with a listener the process survives them (node:process semantics, Bun and Deno alike). */
  onProcessFault?(handler: (kind: "unhandledRejection" | "uncaughtException", error: unknown) => void): () => void;
}

export const processIO: CommandIO = {
  out: (t) => void process.stdout.write(t),
  err: (t) => void process.stderr.write(t),
  env: process.env,
  onSignal(signal, handler) {
    process.on(signal, handler);
    return () => void process.off(signal, handler);
  },
  async readStdin() {
    const chunks: Uint8Array[] = [];
    for await (const c of process.stdin) chunks.push(c as Uint8Array);
    return Buffer.concat(chunks).toString("utf8");
  },
  onProcessFault(handler) {
    const rej = (e: unknown) => handler("unhandledRejection", e);
    const exc = (e: unknown) => handler("uncaughtException", e);
    process.on("unhandledRejection", rej);
    process.on("uncaughtException", exc);
    return () => {
      process.off("unhandledRejection", rej);
      process.off("uncaughtException", exc);
    };
  },
};
