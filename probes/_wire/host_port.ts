/** @module Parse "host:port", "[v6]:port" or a bare host with a default port. */

export interface HostPort {
  readonly host: string;
  readonly port: number;
}

/** `allowZero` accepts port 0 (listen on an ephemeral port). */
export function parseHostPort(target: string, defaultPort?: number, allowZero = false): HostPort {
  let host = target.trim();
  let port: number | undefined;
  const v6 = /^\[([^\]]+)\](?::(\d+))?$/.exec(host);
  if (v6) {
    host = v6[1];
    port = v6[2] ? Number(v6[2]) : undefined;
  } else {
    const colons = host.split(":").length - 1;
    if (colons === 1) {
      const [h, p] = host.split(":");
      host = h;
      if (!/^\d+$/.test(p)) throw new TypeError(`Cannot parse target "${target}": port "${p}" is not a number`);
      port = Number(p);
    }
  }
  port ??= defaultPort;
  if (!host) throw new TypeError(`Cannot parse target "${target}": no host`);
  if (port === undefined) throw new TypeError(`Cannot parse target "${target}": no port and this kind has no default`);
  if (!Number.isInteger(port) || port < (allowZero ? 0 : 1) || port > 65535) {
    throw new TypeError(`Cannot parse target "${target}": port ${port} is outside 1-65535`);
  }
  return { host, port };
}
