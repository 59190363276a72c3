/**
 * @module The `auth:` section of the collector config: agents (ingest tokens), people (users with
 * password hashes, logging in to the dashboard), machines (API tokens), an authenticating reverse
 * proxy, and `publicRead`. docs/security.md lists every field with its default.
 */
import { isIP } from "node:net";
import { z } from "zod";
import { duration } from "../../common/duration.ts";
import { parsePasswordHash } from "./password_hash.ts";
import { READ_ROLES } from "./roles.ts";

const token = z.string().min(16, "tokens need at least 16 characters").max(4096, "tokens are at most 4096 characters");
/** User and API-token names: what a log line and an audit trail show. */
const principalName = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$/, "names are 1-64 letters, digits, ., _, @ and -, starting with a letter or digit");
const passwordHash = z.string().superRefine((v, ctx) => {
  const r = parsePasswordHash(v);
  if (typeof r === "string") ctx.addIssue({ code: "custom", message: r, input: v });
});
/** An IPv4/IPv6 address or a CIDR block such as 10.0.0.0/8 or fd00::/8. */
export const addressOrCidr = z.string().refine((v) => {
  const [addr, bits, extra] = v.split("/");
  const fam = isIP(addr);
  if (fam === 0 || extra !== undefined) return false;
  if (bits === undefined) return true;
  return /^\d{1,3}$/.test(bits) && Number(bits) <= (fam === 4 ? 32 : 128);
}, "expected an IP address or a CIDR block such as 10.0.0.0/8");

export const authConfigSchema = z.strictObject({
  /** Per-agent bearer tokens: agentId → token. A token only admits batches of its own agentId. */
  tokens: z.record(z.string().min(1), token).default({}),
  /** One token for every agent id (simpler, weaker). */
  sharedToken: token.optional(),
  /**
   * People who log in to the dashboard: name → role and scrypt hash (`edgeprobe hash-password`).
   * @default {}
   */
  users: z.record(principalName, z.strictObject({
    role: z.enum(READ_ROLES).default("viewer"),
    passwordHash,
  })).default({}),
  /** Machines on the read side (Grafana, Prometheus, scripts): name → role and bearer token. @default {} */
  apiTokens: z.record(principalName, z.strictObject({
    role: z.enum(READ_ROLES).default("viewer"),
    token,
  })).default({}),
  /**
   * An authenticating reverse proxy (oauth2-proxy, Apache mod_auth_*, nginx auth_request) that
   * puts the user name in a header. The header is believed only on connections from
   * `addresses`; from anywhere else it is ignored.
   */
  trustedProxy: z.strictObject({
    /** Proxy addresses or CIDR blocks, e.g. ["127.0.0.1", "10.20.0.0/16"]. */
    addresses: z.array(addressOrCidr).min(1),
    /** @default "x-forwarded-user" */
    userHeader: z.string().regex(/^[A-Za-z0-9-]{1,64}$/, "a header name").default("x-forwarded-user").transform((h) => h.toLowerCase()),
    /** Role of a proxy user not listed in `users` (a listed one keeps theirs). @default "viewer" */
    role: z.enum(READ_ROLES).default("viewer"),
  }).optional(),
  /**
   * Serve the read side (fleet API, events, dashboard, /metrics) without credentials, as a viewer.
   * Operator actions still need credentials. Only for a collector on a closed network. @default false
   */
  publicRead: z.boolean().default(false),
  /** Dashboard sessions: idle lifetime, absolute lifetime, how many at once. */
  sessions: z.strictObject({
    /** @default 12h */
    idle: duration.default(12 * 3_600_000),
    /** @default 168h (7 days) */
    maxAge: duration.default(168 * 3_600_000),
    /** @default 10000 */
    max: z.number().int().min(1).max(1_000_000).default(10_000),
  }).default({ idle: 12 * 3_600_000, maxAge: 168 * 3_600_000, max: 10_000 }),
}).refine((a) => Object.keys(a.tokens).length > 0 || a.sharedToken !== undefined, "set auth.tokens or auth.sharedToken: the collector never accepts unauthenticated agents");

export type AuthConfig = z.infer<typeof authConfigSchema>;
