/** @module How commands print: injected so tests can capture output. */
export interface CommandIO {
  out(text: string): void;
  err(text: string): void;
  env: Readonly<Record<string, string | undefined>>;
  /** Resolves when the user asks to stop (SIGINT/SIGTERM); commands that run forever await it. */
  onSignal(signal: "SIGINT" | "SIGTERM" | "SIGHUP", handler: () => void): () => void;
  /** All of standard input, for commands that take a secret there rather than in argv. */
  readStdin?(): Promise<string>;
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
};
