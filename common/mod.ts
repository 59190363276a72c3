/**
 * @module Small helpers every layer may use; common/ imports no other folder of the project.
 *
 * Each file below is a public door of its own: import the one you need. otel_export.ts pulls in
 * the OpenTelemetry SDK, so callers load it lazily (`await import`) when `otel:` is configured.
 */
export { DecodeError } from "./decode_error.ts";
export { byteSize, duration, formatDuration, parseByteSize, parseDuration } from "./duration.ts";
export { expandEnv } from "./expand_env.ts";
export { createLogger, type LogFn, type LogLevel, silentLogger, stderrLogger } from "./log.ts";
export { type OtelConfig, type OtelConfigInput, otelConfigSchema } from "./otel_config.ts";
export { diagText, type OtelHandle, otelResourceAttributes, PROBLEM_LOG_INTERVAL_MS, signalUrl, startOtel, type StartOtelOptions } from "./otel_export.ts";
export { type Labels, PromText } from "./prom_text.ts";
export { parseRetryAfter, retryDelay } from "./retry_after.ts";
export { formatIssues, formatPath } from "./zod_issues.ts";
export { MAX_PEM_BYTES, readPem } from "./pem.ts";
export { abortable, abortReason, addAbortListener, sleep, type SleepTimers } from "./abortable.ts";
export { roundMs } from "./round_ms.ts";
export { concatBytes } from "./bytes.ts";
