/** @module PFCP Heartbeat Request/Response and Version Not Supported Response (TS 29.244 §7.4.2, §7.4.4.7). */
import { ByteWriter } from "../_wire/byte_writer.ts";
import { DecodeError } from "../errors.ts";
import { decodePfcpHeader, PFCP, PFCP_MAX_SEQUENCE, PFCP_VERSION, PfcpMessageType } from "./header.ts";
import { PfcpIeType, readPfcpIes } from "./ie.ts";

export interface HeartbeatRequest {
  readonly sequence: number;
  /** Our own start time as NTP seconds (29.244 §8.2.65). */
  readonly recoveryTimeStamp: number;
}

export interface HeartbeatResponse {
  readonly sequence: number;
  readonly recoveryTimeStamp: number;
  /** IE types we skipped because this codec does not know them (29.244 §7.6: ignore unknown IEs). */
  readonly unknownIes: readonly number[];
}

/** What a heartbeat requester may get back. */
export type HeartbeatReply =
  | ({ readonly type: "heartbeat-response" } & HeartbeatResponse)
  | { readonly type: "version-not-supported"; readonly sequence: number; readonly peerVersion: number };

function checkSequence(sequence: number): void {
  if (!Number.isInteger(sequence) || sequence < 0 || sequence > PFCP_MAX_SEQUENCE) {
    throw new RangeError(`Cannot encode PFCP message: sequence ${sequence} is outside 0-${PFCP_MAX_SEQUENCE}`);
  }
}

function encodeHeartbeat(type: number, sequence: number, recoveryTimeStamp: number): Uint8Array {
  checkSequence(sequence);
  if (!Number.isInteger(recoveryTimeStamp) || recoveryTimeStamp < 0 || recoveryTimeStamp > 0xffffffff) {
    throw new RangeError(`Cannot encode PFCP Recovery Time Stamp: ${recoveryTimeStamp} is not a 32-bit unsigned integer`);
  }
  // 29.244 §7.2.2.1: heartbeat is a node message, so S=0 and no SEID; length = 4 + IEs.
  return new ByteWriter(16)
    .u8(PFCP_VERSION << 5).u8(type).u16(12)
    .u24(sequence).u8(0)
    .u16(PfcpIeType.RecoveryTimeStamp).u16(4).u32(recoveryTimeStamp)
    .finish();
}

/**
 * Encode a Heartbeat Request with its mandatory Recovery Time Stamp (29.244 Table 7.4.2.1-1).
 * @example encodeHeartbeatRequest({ sequence: 0x46845f, recoveryTimeStamp: 0xeeb00447 })
 */
export function encodeHeartbeatRequest(msg: HeartbeatRequest): Uint8Array {
  return encodeHeartbeat(PfcpMessageType.HeartbeatRequest, msg.sequence, msg.recoveryTimeStamp);
}

/** Encode a Heartbeat Response (29.244 Table 7.4.2.2-1): the request's sequence, our RTS. */
export function encodeHeartbeatResponse(msg: { sequence: number; recoveryTimeStamp: number }): Uint8Array {
  return encodeHeartbeat(PfcpMessageType.HeartbeatResponse, msg.sequence, msg.recoveryTimeStamp);
}

/** Version Not Supported Response: header only, same sequence, our version (29.244 §7.4.4.7). */
export function encodeVersionNotSupportedResponse(sequence: number): Uint8Array {
  checkSequence(sequence);
  return new ByteWriter(8).u8(PFCP_VERSION << 5).u8(PfcpMessageType.VersionNotSupportedResponse).u16(4).u24(sequence).u8(0).finish();
}

function decodeHeartbeat(bytes: Uint8Array, expected: number, name: string): HeartbeatResponse {
  const { header, body } = decodePfcpHeader(bytes);
  if (header.version !== PFCP_VERSION) {
    throw new DecodeError(PFCP, 0, `Cannot decode PFCP ${name}: version ${header.version} is not ${PFCP_VERSION}`);
  }
  if (header.messageType !== expected) {
    throw new DecodeError(PFCP, 1, `Cannot decode PFCP ${name}: message type ${header.messageType} is not ${expected}`);
  }
  if (header.seid !== undefined) {
    throw new DecodeError(PFCP, 0, `Cannot decode PFCP ${name}: S flag is 1 but heartbeat is a node message without SEID (29.244 §7.2.2.1)`);
  }
  let recoveryTimeStamp: number | undefined;
  const unknownIes: number[] = [];
  for (const ie of readPfcpIes(body, name)) {
    if (ie.type === PfcpIeType.RecoveryTimeStamp && ie.enterpriseId === undefined) {
      if (recoveryTimeStamp !== undefined) {
        throw new DecodeError(PFCP, ie.offset, `Cannot decode PFCP ${name}: Recovery Time Stamp IE (96) appears twice, again at offset ${ie.offset}`);
      }
      if (ie.value.length < 4) {
        throw new DecodeError(PFCP, ie.offset, `Cannot decode PFCP ${name}: Recovery Time Stamp IE at offset ${ie.offset} has length ${ie.value.length}, needs 4`);
      }
      // 29.244 §8.2.65: octets 5-8 are the NTP seconds; later releases may append octets.
      const v = ie.value;
      recoveryTimeStamp = ((v[0] << 24) >>> 0) + ((v[1] << 16) | (v[2] << 8) | v[3]);
    } else if (ie.type !== PfcpIeType.SourceIpAddress) {
      unknownIes.push(ie.type);
    }
  }
  if (recoveryTimeStamp === undefined) {
    throw new DecodeError(PFCP, 8, `Cannot decode PFCP ${name}: the mandatory Recovery Time Stamp IE (96) is missing`);
  }
  return { sequence: header.sequence, recoveryTimeStamp, unknownIes };
}

/** @throws DecodeError */
export function decodeHeartbeatRequest(bytes: Uint8Array): HeartbeatRequest & { readonly unknownIes: readonly number[] } {
  return decodeHeartbeat(bytes, PfcpMessageType.HeartbeatRequest, "Heartbeat Request");
}

/** @throws DecodeError */
export function decodeHeartbeatResponse(bytes: Uint8Array): HeartbeatResponse {
  return decodeHeartbeat(bytes, PfcpMessageType.HeartbeatResponse, "Heartbeat Response");
}

/**
 * Decode what a peer sends back to a Heartbeat Request: a Heartbeat Response, or a Version Not
 * Supported Response (whose header carries the peer's version, whatever it is).
 * @throws DecodeError for anything else.
 */
export function decodeHeartbeatReply(bytes: Uint8Array): HeartbeatReply {
  if (bytes.length >= 2 && bytes[1] === PfcpMessageType.VersionNotSupportedResponse) {
    const { header, body } = decodePfcpHeader(bytes);
    if (body.remaining !== 0) {
      throw new DecodeError(PFCP, body.offset, `Cannot decode PFCP Version Not Supported Response: ${body.remaining} bytes of IEs where the header stands alone (29.244 §7.4.4.7)`);
    }
    return { type: "version-not-supported", sequence: header.sequence, peerVersion: header.version };
  }
  if (bytes.length >= 2 && bytes[1] !== PfcpMessageType.HeartbeatResponse) {
    throw new DecodeError(PFCP, 1, `Cannot decode PFCP reply: message type ${bytes[1]} is neither Heartbeat Response (2) nor Version Not Supported Response (11)`);
  }
  return { type: "heartbeat-response", ...decodeHeartbeatResponse(bytes) };
}

/** Sequence and version only, for answering a request of an unsupported version. @throws DecodeError */
export function peekPfcpRequest(bytes: Uint8Array): { version: number; messageType: number; sequence: number } {
  const { header } = decodePfcpHeader(bytes);
  return { version: header.version, messageType: header.messageType, sequence: header.sequence };
}
