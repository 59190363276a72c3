/** @module Options of the `etcd` probe kind. The target is one member's client URL (http://host:2379). */
import { z } from "zod";
import { tlsOptions } from "../_http/mod.ts";

const list = z.union([z.string(), z.array(z.string())]).transform((v) => (Array.isArray(v) ? v : [v]).flatMap((s) => s.split(",")).map((s) => s.trim()).filter(Boolean));

export const etcdOptions = z.strictObject({
  /**
   * Client URLs of every member to probe ("http://10.0.0.1:2379,http://10.0.0.2:2379"). Each gets
   * GET /health and maintenance status; the round-trip runs once, through a healthy member.
   * Default: only the target.
   */
  endpoints: list.optional(),
  /** Members that must be healthy. @default a majority of the probed members */
  minHealthy: z.number().int().min(1).optional(),
  /** Write, read back and delete a probe key through Raft (a linearizable round-trip). @default true */
  roundTrip: z.boolean().default(true),
  /** TTL in seconds of the lease the probe key is bound to, so a crashed probe leaves nothing behind. @default 5 */
  leaseTtl: z.number().int().min(2).max(300).default(5),
  /** Prefix of the probe key; the key is prefix + probe name + "/" + a per-instance random id. @default "/edgeprobe/probe/" */
  keyPrefix: z.string().min(1).default("/edgeprobe/probe/"),
  /** User for etcd authentication (/v3/auth/authenticate). Needs `password`. */
  username: z.string().min(1).optional(),
  /** Password of `username`; use ${VAR} in config to keep it out of the file. */
  password: z.string().optional(),
  /** TLS for https:// endpoints: ca, cert, key (client certificate), verify (default true), servername. */
  tls: tlsOptions.optional(),
}).refine((o) => (o.username === undefined) === (o.password === undefined), {
  message: "username and password go together",
  path: ["password"],
});
export type EtcdProbeOptions = z.infer<typeof etcdOptions>;
