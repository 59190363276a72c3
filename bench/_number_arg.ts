/** @module numberArg(): a bench script's numeric command-line value, or a clear error. */

/** `value` of `flag` as a finite number; throws "Cannot parse FLAG: …" otherwise. */
export function numberArg(flag: string, value: string | undefined): number {
  const n = Number(value);
  if (value === undefined || value === "" || !Number.isFinite(n)) throw new Error(`Cannot parse ${flag}: expected a number, got ${JSON.stringify(value)}`);
  return n;
}
