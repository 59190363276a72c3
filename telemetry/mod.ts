/** @module Telemetry wire format v1 (CBOR), its record model and the agent's `telemetry:` config. */
export { decodeBatch, decodeCborValue, decodeRecord, encodeBatch, encodeRecord, WireVersionError } from "./codec.ts";
export * from "./record.ts";
export * from "./wire_tables.ts";
export { spoolSchema, type TelemetryConfig, type TelemetryConfigInput, telemetrySchema } from "./telemetry_config.ts";
