/**
 * @module The slice of the Diameter base dictionary the watchdog probe needs (RFC 6733 §4.5,
 * §5, §7.1; M-bit rules as in Wireshark's diameter/dictionary.xml, docs/protocols.md A5).
 */

export const CommandCode = {
  CapabilitiesExchange: 257,
  DeviceWatchdog: 280,
  DisconnectPeer: 282,
} as const;
export type CommandCode = typeof CommandCode[keyof typeof CommandCode];

export const COMMAND_NAMES: Readonly<Record<number, [request: string, answer: string]>> = {
  257: ["CER", "CEA"],
  280: ["DWR", "DWA"],
  282: ["DPR", "DPA"],
};

export const AvpCode = {
  HostIpAddress: 257,
  AuthApplicationId: 258,
  AcctApplicationId: 259,
  VendorSpecificApplicationId: 260,
  SessionId: 263,
  OriginHost: 264,
  SupportedVendorId: 265,
  VendorId: 266,
  FirmwareRevision: 267,
  ResultCode: 268,
  ProductName: 269,
  DisconnectCause: 273,
  OriginStateId: 278,
  FailedAvp: 279,
  ErrorMessage: 281,
  ErrorReportingHost: 294,
  OriginRealm: 296,
  ExperimentalResult: 297,
  InbandSecurityId: 299,
} as const;

/** AVPs whose M bit must be set (RFC 6733 §4.5 table, "must" column). */
export const MANDATORY_BIT_AVPS: ReadonlySet<number> = new Set([
  AvpCode.HostIpAddress,
  AvpCode.AuthApplicationId,
  AvpCode.AcctApplicationId,
  AvpCode.VendorSpecificApplicationId,
  AvpCode.SessionId,
  AvpCode.OriginHost,
  AvpCode.SupportedVendorId,
  AvpCode.VendorId,
  AvpCode.ResultCode,
  AvpCode.DisconnectCause,
  AvpCode.OriginStateId,
  AvpCode.FailedAvp,
  AvpCode.ErrorReportingHost,
  AvpCode.OriginRealm,
  AvpCode.ExperimentalResult,
  AvpCode.InbandSecurityId,
]);
// Product-Name (269), Firmware-Revision (267) and Error-Message (281) must NOT carry M (§5.3.4, §5.3.7, §7.3).

/** Disconnect-Cause values (§5.4.3). */
export const DisconnectCause = {
  REBOOTING: 0,
  BUSY: 1,
  DO_NOT_WANT_TO_TALK_TO_YOU: 2,
} as const;
export type DisconnectCauseName = keyof typeof DisconnectCause;

/** Result-Code names (§7.1, read from Wireshark's dictionary). */
export const RESULT_CODE_NAMES: Readonly<Record<number, string>> = {
  1001: "MULTI_ROUND_AUTH",
  2001: "SUCCESS",
  2002: "LIMITED_SUCCESS",
  3001: "COMMAND_UNSUPPORTED",
  3002: "UNABLE_TO_DELIVER",
  3003: "REALM_NOT_SERVED",
  3004: "TOO_BUSY",
  3005: "LOOP_DETECTED",
  3006: "REDIRECT_INDICATION",
  3007: "APPLICATION_UNSUPPORTED",
  3008: "INVALID_HDR_BITS",
  3009: "INVALID_AVP_BITS",
  3010: "UNKNOWN_PEER",
  4001: "AUTHENTICATION_REJECTED",
  4002: "OUT_OF_SPACE",
  4003: "ELECTION_LOST",
  5001: "AVP_UNSUPPORTED",
  5002: "UNKNOWN_SESSION_ID",
  5003: "AUTHORIZATION_REJECTED",
  5004: "INVALID_AVP_VALUE",
  5005: "MISSING_AVP",
  5006: "RESOURCES_EXCEEDED",
  5007: "CONTRADICTING_AVPS",
  5008: "AVP_NOT_ALLOWED",
  5009: "AVP_OCCURS_TOO_MANY_TIMES",
  5010: "NO_COMMON_APPLICATION",
  5011: "UNSUPPORTED_VERSION",
  5012: "UNABLE_TO_COMPLY",
  5013: "INVALID_BIT_IN_HEADER",
  5014: "INVALID_AVP_LENGTH",
  5015: "INVALID_MESSAGE_LENGTH",
  5016: "INVALID_AVP_BIT_COMBO",
  5017: "NO_COMMON_SECURITY",
};

/** "UNKNOWN_PEER" for 3010; a class name such as "PROTOCOL_ERROR_3999" for codes we do not list. */
export function resultCodeName(code: number): string {
  const known = RESULT_CODE_NAMES[code];
  if (known) return known;
  const cls = Math.floor(code / 1000);
  const label = cls === 1 ? "INFORMATIONAL" : cls === 2 ? "SUCCESS" : cls === 3 ? "PROTOCOL_ERROR" : cls === 4 ? "TRANSIENT_FAILURE" : cls === 5 ? "PERMANENT_FAILURE" : "RESULT";
  return `${label}_${code}`;
}
