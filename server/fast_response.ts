/** @module Pre-encode a response once, so hot paths write bytes without the framework. */
import type { FastResponse } from "./types.ts";
import { reasonPhrase } from "./problem.ts";

const enc = new TextEncoder();

export function encodeFastResponse(status: number, contentType: string, body: string | Uint8Array, extraHeaders: Record<string, string> = {}): FastResponse {
  const bytes = typeof body === "string" ? enc.encode(body) : body;
  let head = `HTTP/1.1 ${status} ${reasonPhrase(status)}\r\ncontent-type: ${contentType}\r\ncontent-length: ${bytes.length}\r\ncache-control: no-store\r\n`;
  for (const [k, v] of Object.entries(extraHeaders)) head += `${k}: ${v}\r\n`;
  head += "\r\n";
  const h = enc.encode(head);
  const h1 = new Uint8Array(h.length + bytes.length);
  h1.set(h);
  h1.set(bytes, h.length);
  return { status, contentType, body: bytes, h1 };
}
