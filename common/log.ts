/** @module Structured JSON log lines (one object per line, to stderr). */

export type LogLevel = "debug" | "info" | "warn" | "error";
export type LogFn = (level: LogLevel, msg: string, fields?: Record<string, unknown>) => void;

const ORDER: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

/** A logger writing JSON lines through `write`; lines below `min` are dropped. */
export function createLogger(
  write: (line: string) => void,
  min: LogLevel = "info",
  base: Record<string, unknown> = {},
  now: () => number = Date.now,
): LogFn {
  return (level, msg, fields) => {
    if (ORDER[level] < ORDER[min]) return;
    write(JSON.stringify({ ts: new Date(now()).toISOString(), level, msg, ...base, ...fields }) + "\n");
  };
}

export const stderrLogger = (min: LogLevel = "info", base: Record<string, unknown> = {}): LogFn =>
  createLogger((l) => process.stderr.write(l), min, base);

export const silentLogger: LogFn = () => {};
