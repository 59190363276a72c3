/**
 * @module What a GTP-C echo requester may get back: an Echo Response of its own version, or a
 * Version Not Supported message of whichever version the peer speaks (29.060 §7.2.3, 29.274 §7.1.3).
 */
import { ByteWriter } from "../_wire/byte_writer.ts";
import { DecodeError } from "../errors.ts";
import { decodeGtpv1Header } from "../gtpu/mod.ts";
import { decodeV1EchoResponse, GTPV1C } from "./v1_echo.ts";
import { decodeGtpv2Header, GTPV2, Gtpv2MessageType } from "./v2_header.ts";
import { decodeV2EchoResponse } from "./v2_echo.ts";

export type GtpcEchoReply =
  | { readonly type: "echo-response"; readonly sequence: number; readonly recovery: number; readonly nodeFeatures?: number; readonly unknownIes: readonly number[] }
  | { readonly type: "version-not-supported"; readonly sequence?: number; readonly peerVersion: number };

/** GTPv1-C Version Not Supported: header only (29.060 §7.2.3). */
export function encodeV1VersionNotSupported(sequence: number): Uint8Array {
  return new ByteWriter(12).u8(0x32).u8(3).u16(4).u32(0).u16(sequence & 0xffff).u8(0).u8(0).finish();
}

/**
 * Decode a reply to a GTP-C Echo Request of `version`.
 * @throws DecodeError for anything but an Echo Response of that version or a Version Not Supported message.
 */
export function decodeGtpcEchoReply(bytes: Uint8Array, version: 1 | 2): GtpcEchoReply {
  const label = version === 1 ? GTPV1C : GTPV2;
  if (bytes.length < 2) {
    throw new DecodeError(label, 0, `Cannot decode ${label} reply: ${bytes.length} bytes is shorter than any GTP header`);
  }
  const peerVersion = bytes[0] >>> 5;
  if (bytes[1] === Gtpv2MessageType.VersionNotSupportedIndication) {
    if (peerVersion === 1) {
      const { header, body } = decodeGtpv1Header(bytes, GTPV1C);
      if (body.remaining !== 0) {
        throw new DecodeError(GTPV1C, body.offset, `Cannot decode GTPv1-C Version Not Supported: ${body.remaining} bytes of IEs where the header stands alone`);
      }
      return { type: "version-not-supported", sequence: header.sequence, peerVersion };
    }
    if (peerVersion === 2) {
      const { header, body } = decodeGtpv2Header(bytes);
      if (body.remaining !== 0) {
        throw new DecodeError(GTPV2, body.offset, `Cannot decode GTPv2-C Version Not Supported Indication: ${body.remaining} bytes of IEs where the header stands alone`);
      }
      return { type: "version-not-supported", sequence: header.sequence, peerVersion };
    }
    // A future version's header layout is unknown beyond its first octets.
    return { type: "version-not-supported", peerVersion };
  }
  if (peerVersion !== version) {
    throw new DecodeError(label, 0, `Cannot decode ${label} reply: version ${peerVersion} is not ${version} and the message type ${bytes[1]} is not Version Not Supported (3)`);
  }
  if (version === 1) return { type: "echo-response", ...decodeV1EchoResponse(bytes) };
  return { type: "echo-response", ...decodeV2EchoResponse(bytes) };
}
