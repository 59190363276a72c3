/** @module SIP OPTIONS probe and reflector (RFC 3261 §11, RFC 3581). */
export { sip, classifyResponse, matchesTransaction } from "./probe.ts";
export { sipReflector } from "./reflector.ts";
export { sipOptions, type SipProbeOptions } from "./options.ts";
export { decodeSipMessage, type SipMessage, type SipRequest, type SipResponse } from "./message.ts";
export { encodeOptionsRequest, type OptionsRequest } from "./request.ts";
export { SipFramer, sipFrameLength } from "./framer.ts";
export { isAccepted } from "./accept_codes.ts";
