/**
 * @module The spool's ack pointer file, `ack.json`: `{segNo, bootId, seq}`, the last record the
 * collector acknowledged. Written to a temp file and renamed, so it is either the old or the new
 * pointer, never torn (POSIX rename(2) is atomic within a file system).
 */
import * as fs from "node:fs";
import { join } from "node:path";

export interface AckPointer {
  readonly segNo: number;
  readonly bootId: string;
  readonly seq: number;
}

export const ackPath = (dir: string): string => join(dir, "ack.json");

/** The stored pointer, or undefined when there is none or it does not parse (then everything is resent; the collector dedups). */
export function readAckPointer(dir: string): AckPointer | undefined {
  try {
    const p = JSON.parse(fs.readFileSync(ackPath(dir), "utf8")) as Partial<AckPointer>;
    return typeof p.segNo === "number" && typeof p.bootId === "string" && typeof p.seq === "number" ? { segNo: p.segNo, bootId: p.bootId, seq: p.seq } : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Persist the pointer.
 * @throws {Error} "Cannot persist spool ack: …" with the file-system error as cause (a read-only or full disk).
 */
export function writeAckPointer(dir: string, p: AckPointer): void {
  const path = ackPath(dir);
  const tmp = `${path}.tmp`;
  try {
    fs.writeFileSync(tmp, JSON.stringify(p));
    fs.renameSync(tmp, path);
  } catch (e) {
    throw new Error(`Cannot persist spool ack: ${(e as NodeJS.ErrnoException).code ?? String(e)} on ${path}`, { cause: e });
  }
}
