/** @module Diameter base-protocol watchdog probe and reflector (RFC 6733 §5.3-5.5, RFC 3539). */
export { classifyAnswer, diameter } from "./probe.ts";
export { diameterReflector, serveDiameterConnection } from "./reflector.ts";
export { diameterOptions, type DiameterProbeOptions } from "./options.ts";
export { type Avp, AvpFlag, decodeAvps, encodeAvp } from "./avp.ts";
export { CommandFlag, decodeMessage, type DiameterMessage, encodeMessage } from "./message.ts";
export { buildCea, buildCer, buildDpa, buildDpr, buildDwa, buildDwr, readAnswer } from "./base.ts";
export { DiameterFramer, diameterFrameLength } from "./framer.ts";
export { AvpCode, CommandCode, resultCodeName } from "./dictionary.ts";
