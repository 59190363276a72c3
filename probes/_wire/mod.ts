/**
 * @module Byte-level helpers shared by the probe codecs (private to probes/): a bounds-checked
 * reader and writer, hex for golden vectors, and "host:port" targets.
 */
export { ByteReader } from "./byte_reader.ts";
export { ByteWriter } from "./byte_writer.ts";
export { fromHex, toHex } from "./hex.ts";
export { type HostPort, parseHostPort } from "./host_port.ts";
