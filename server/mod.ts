/**
 * @module HTTP pieces of the agent's port: the request guard (431, 413) and deadline (504,
 * 3gpp-Sbi-Max-Rsp-Time), problem+json, and the `node:net` one-port front (HTTP/1.1, h2c and
 * TLS on one listener) the agent uses on Deno (docs/architecture.md).
 */
export * from "./types.ts";
export { startServer } from "./serve.ts";
export { answerWithin, maxRspTime, problemAnswer, problemBytes, requestBudget } from "./deadline.ts";
export { type FetchHandler, guard, type GuardLimits, headBytes } from "./guard.ts";
export { PROBLEM_JSON, type ProblemDetails, problemResponse, reasonPhrase } from "./problem.ts";
export { encodeFastResponse } from "./fast_response.ts";
export { readBodyCapped } from "./read_body.ts";
