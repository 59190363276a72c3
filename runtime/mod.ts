/**
 * @module The platform layer: the only code that touches `Bun.*` or `Deno.*`, behind the
 * runtime-neutral interfaces of types.ts (docs/architecture.md).
 *
 * Each file below is a public door of its own: import the one you need (this module loads them
 * all, and several load platform modules such as `bun:sqlite` on first use).
 */
export type * from "./types.ts";
export { systemClock } from "./clock.ts";
export { createManualClock, type ManualClock } from "./manual_clock.ts";
export { detectRuntime, isCompiled, runtimeVersion } from "./detect.ts";
export { nodeNet, openTcp, openUdp } from "./node_net.ts";
export { bunNet, openBunTcp } from "./bun_net.ts";
export { platformNet } from "./net.ts";
export { type BunHttpOptions, type BunHttpServer, startBunHttp, type StaticAnswer } from "./bun_http_serve.ts";
export { listenTcp, type TcpServer, type TcpServerOptions } from "./node_tcp_server.ts";
export { nativeYamlParser } from "./native_yaml.ts";
export { type Trimmed, trimMemory } from "./trim_memory.ts";
export { restoreJit } from "./jit_policy.ts";
export { type CodeMapping, parseSmaps, releasableMappings, releaseCodePages, type Released } from "./release_code_pages.ts";
export { type Database, openDatabase, type OpenOptions, type Row, type SqlValue, type Statement } from "./sqlite.ts";
export { idleThisThread, niceThisThread } from "./thread_priority.ts";
export { type HttpHandler, type HttpServer, serveHttp, type ServeHttpOptions } from "./serve_http.ts";
export { type FetchFn, tlsFetch, type TlsFetchOptions } from "./tls_fetch.ts";
