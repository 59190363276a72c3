/** @module Hex helpers for golden vectors ("20 01 000c 46845f 00": spaces and `|` ignored). */

export function fromHex(hex: string): Uint8Array {
  const clean = hex.replace(/[\s|:]/g, "");
  if (clean.length % 2 !== 0 || /[^0-9a-fA-F]/.test(clean)) {
    throw new SyntaxError(`Cannot parse hex: "${hex}" is not an even run of hex digits`);
  }
  const out = new Uint8Array(clean.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(clean.slice(i * 2, i * 2 + 2), 16);
  return out;
}

export function toHex(bytes: Uint8Array): string {
  let s = "";
  for (const b of bytes) s += b.toString(16).padStart(2, "0");
  return s;
}
