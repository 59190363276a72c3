/**
 * @module Test helpers: run `testdata/*.json` golden vectors (style.md §6) and fast-check
 * properties that a decoder throws nothing but DecodeError, on any input.
 */
import { it } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { DecodeError } from "../errors.ts";
import { fromHex } from "./hex.ts";

export interface GoldenFile {
  readonly source: string;
  readonly vectors: readonly GoldenVector[];
}
export interface GoldenVector {
  readonly name: string;
  readonly decoder: string;
  readonly hex: string;
  readonly expected?: unknown;
  readonly mustFail?: string;
  readonly source?: string;
}

/** One `it` per vector: decode and deep-compare, or expect the exact DecodeError message. */
export function itDecodesGoldenVectors(file: GoldenFile, decoders: Readonly<Record<string, (b: Uint8Array) => unknown>>): void {
  assert.ok(file.source.length > 10, "golden file must say where its bytes come from");
  for (const v of file.vectors) {
    const decode = decoders[v.decoder];
    it(`${v.decoder}: ${v.name}`, () => {
      assert.ok(decode, `no decoder "${v.decoder}"`);
      const bytes = fromHex(v.hex);
      if (v.mustFail !== undefined) {
        assert.throws(() => decode(bytes), (e: unknown) => {
          assert.ok(e instanceof DecodeError, `expected DecodeError, got ${e}`);
          assert.equal(e.message, v.mustFail);
          return true;
        });
      } else {
        assert.deepEqual(decode(bytes), v.expected);
      }
    });
  }
}

/** Random bytes, and valid messages with bytes flipped, cut or appended. */
export function arbitraryDatagram(seeds: readonly Uint8Array[]): fc.Arbitrary<Uint8Array> {
  const mutated = fc.tuple(
    fc.constantFrom(...seeds),
    fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 4 }),
    fc.nat(),
    fc.uint8Array({ maxLength: 8 }),
  ).map(([seed, flips, cut, tail]) => {
    const b = new Uint8Array([...seed, ...tail]);
    for (const [at, v] of flips) b[at % b.length] = v;
    return b.subarray(0, b.length - (cut % 3 === 0 ? cut % b.length : 0));
  });
  return fc.oneof(fc.uint8Array({ maxLength: 96 }), mutated);
}

/** fast-check: no input makes `decode` throw anything but DecodeError, or run long. */
export function assertOnlyDecodeErrors(decode: (b: Uint8Array) => unknown, seeds: readonly Uint8Array[], numRuns = 3000): void {
  fc.assert(
    fc.property(arbitraryDatagram(seeds), (bytes) => {
      const t0 = performance.now();
      try {
        decode(bytes);
      } catch (e) {
        if (!(e instanceof DecodeError)) throw e;
        assert.match(e.message, /^Cannot decode /);
        assert.ok(e.offset >= 0 && e.offset <= bytes.length, `offset ${e.offset} outside 0-${bytes.length}`);
      }
      // Generous: only a hang or a pathological loop should trip this, not a GC pause.
      assert.ok(performance.now() - t0 < 1000, "decoder took over 1 s on one datagram");
    }),
    { numRuns },
  );
}
