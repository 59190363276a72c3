/**
 * @module Base-protocol messages: CER/CEA (§5.3), DWR/DWA (§5.5), DPR/DPA (§5.4), and reading
 * the facts a probe needs out of an answer.
 */
import { addressAvp, type Avp, readAddress, readU32, readUtf8, u32Avp, utf8Avp } from "./avp.ts";
import { AvpCode, COMMAND_NAMES, CommandCode, resultCodeName } from "./dictionary.ts";
import { CommandFlag, type DiameterMessage } from "./message.ts";
import { DecodeError } from "../errors.ts";

/** Who we are on the Diameter network. */
export interface PeerIdentity {
  readonly originHost: string;
  readonly originRealm: string;
  readonly hostIpAddresses: readonly string[];
  readonly vendorId: number;
  readonly productName: string;
  readonly originStateId?: number;
  readonly authApplicationIds?: readonly number[];
  readonly acctApplicationIds?: readonly number[];
  readonly supportedVendorIds?: readonly number[];
  readonly firmwareRevision?: number;
}

export interface Ids {
  readonly hopByHop: number;
  readonly endToEnd: number;
}

function origin(id: PeerIdentity): Avp[] {
  return [utf8Avp(AvpCode.OriginHost, id.originHost), utf8Avp(AvpCode.OriginRealm, id.originRealm)];
}

/** The capability AVPs shared by CER and CEA, in the §5.3.1 ABNF order. */
function capabilities(id: PeerIdentity): Avp[] {
  return [
    ...origin(id),
    ...id.hostIpAddresses.map((ip) => addressAvp(AvpCode.HostIpAddress, ip)),
    u32Avp(AvpCode.VendorId, id.vendorId),
    utf8Avp(AvpCode.ProductName, id.productName),
    ...(id.originStateId !== undefined ? [u32Avp(AvpCode.OriginStateId, id.originStateId)] : []),
    ...(id.supportedVendorIds ?? []).map((v) => u32Avp(AvpCode.SupportedVendorId, v)),
    ...(id.authApplicationIds ?? []).map((v) => u32Avp(AvpCode.AuthApplicationId, v)),
    ...(id.acctApplicationIds ?? []).map((v) => u32Avp(AvpCode.AcctApplicationId, v)),
    ...(id.firmwareRevision !== undefined ? [u32Avp(AvpCode.FirmwareRevision, id.firmwareRevision)] : []),
  ];
}

function request(commandCode: number, ids: Ids, avps: Avp[]): DiameterMessage {
  // §5.3, §5.4, §5.5: base peer messages are never proxiable and use Application-ID 0.
  return { flags: CommandFlag.Request, commandCode, applicationId: 0, ...ids, avps };
}

function answer(req: DiameterMessage, resultCode: number, avps: Avp[]): DiameterMessage {
  // §7.1.3, §7.2: 3xxx answers carry the E bit.
  const error = resultCode >= 3000 && resultCode < 4000 ? CommandFlag.Error : 0;
  return {
    flags: error | (req.flags & CommandFlag.Proxiable),
    commandCode: req.commandCode,
    applicationId: req.applicationId,
    hopByHop: req.hopByHop,
    endToEnd: req.endToEnd,
    avps: [u32Avp(AvpCode.ResultCode, resultCode), ...avps],
  };
}

export const buildCer = (id: PeerIdentity, ids: Ids) => request(CommandCode.CapabilitiesExchange, ids, capabilities(id));
export const buildDwr = (id: PeerIdentity, ids: Ids) =>
  request(CommandCode.DeviceWatchdog, ids, [...origin(id), ...(id.originStateId !== undefined ? [u32Avp(AvpCode.OriginStateId, id.originStateId)] : [])]);
export const buildDpr = (id: PeerIdentity, ids: Ids, cause: number) =>
  request(CommandCode.DisconnectPeer, ids, [...origin(id), u32Avp(AvpCode.DisconnectCause, cause)]);

export function buildCea(req: DiameterMessage, id: PeerIdentity, resultCode: number): DiameterMessage {
  if (resultCode >= 3000 && resultCode < 4000) return answer(req, resultCode, origin(id));
  return answer(req, resultCode, capabilities(id));
}
export const buildDwa = (req: DiameterMessage, id: PeerIdentity, resultCode = 2001) =>
  answer(req, resultCode, [...origin(id), ...(id.originStateId !== undefined ? [u32Avp(AvpCode.OriginStateId, id.originStateId)] : [])]);
export const buildDpa = (req: DiameterMessage, id: PeerIdentity, resultCode = 2001) => answer(req, resultCode, origin(id));
/** 3001 COMMAND_UNSUPPORTED for a request we do not serve (§7.1.3). */
export const buildUnsupported = (req: DiameterMessage, id: PeerIdentity) => answer(req, 3001, origin(id));

export function findAvp(m: DiameterMessage, code: number): Avp | undefined {
  return m.avps.find((a) => a.code === code && a.vendorId === undefined);
}

/** What a probe keeps from an answer. */
export interface AnswerInfo {
  readonly resultCode: number;
  readonly resultName: string;
  readonly originHost?: string;
  readonly originRealm?: string;
  readonly originStateId?: number;
  readonly productName?: string;
  readonly errorMessage?: string;
  readonly hostIpAddresses: readonly string[];
}

/**
 * Read an answer to `commandCode`.
 * @throws DecodeError when it is a request, answers another command, or lacks Result-Code.
 */
export function readAnswer(m: DiameterMessage, commandCode: number): AnswerInfo {
  const name = COMMAND_NAMES[commandCode]?.[1] ?? `answer ${commandCode}`;
  if (m.flags & CommandFlag.Request) throw new DecodeError("diameter", 4, `Cannot decode Diameter ${name}: the R bit is set`);
  if (m.commandCode !== commandCode) throw new DecodeError("diameter", 5, `Cannot decode Diameter ${name}: command code ${m.commandCode}`);
  const rc = findAvp(m, AvpCode.ResultCode);
  if (!rc) throw new DecodeError("diameter", 20, `Cannot decode Diameter ${name}: no Result-Code AVP`);
  const resultCode = readU32(rc);
  const str = (code: number) => {
    const a = findAvp(m, code);
    return a ? readUtf8(a) : undefined;
  };
  const osi = findAvp(m, AvpCode.OriginStateId);
  return {
    resultCode,
    resultName: resultCodeName(resultCode),
    originHost: str(AvpCode.OriginHost),
    originRealm: str(AvpCode.OriginRealm),
    originStateId: osi ? readU32(osi) : undefined,
    productName: str(AvpCode.ProductName),
    errorMessage: str(AvpCode.ErrorMessage),
    hostIpAddresses: m.avps.filter((a) => a.code === AvpCode.HostIpAddress && a.vendorId === undefined).map((a) => readAddress(a)),
  };
}

/** Origin-Host and Origin-Realm of a request, which any answer needs (§6.3, §6.4). @throws DecodeError */
export function requireOrigin(m: DiameterMessage): { originHost: string; originRealm: string } {
  const h = findAvp(m, AvpCode.OriginHost), r = findAvp(m, AvpCode.OriginRealm);
  if (!h || !r) throw new DecodeError("diameter", 20, `Cannot decode Diameter ${COMMAND_NAMES[m.commandCode]?.[0] ?? m.commandCode}: Origin-Host or Origin-Realm missing`);
  return { originHost: readUtf8(h), originRealm: readUtf8(r) };
}
