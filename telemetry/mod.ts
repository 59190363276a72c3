/** @module Telemetry wire format v1 (CBOR), its record model and the agent's `telemetry:` config. */
export { DECODE_BATCH_LIMITS, decodeBatch, type DecodeBatchLimits, decodeCborValue, decodeRecord, encodeBatch, encodeRecord, WireVersionError } from "./codec.ts";
export * from "./record.ts";
export * from "./wire_tables.ts";
export { AGENT_ID_PATTERN, BOOT_ID_PATTERN, NAME_PATTERN, NAME_RULE } from "./names.ts";
export { type CborScanLimits, scanCbor } from "./cbor_scan.ts";
export { newStringIntern, type StringIntern } from "./string_intern.ts";
export { spoolSchema, type TelemetryConfig, type TelemetryConfigInput, telemetrySchema } from "./telemetry_config.ts";
export { collectorBase, decideSteer, STEER_HEADER, STEER_HINT_MAX, type SteerDecision } from "./steer.ts";
