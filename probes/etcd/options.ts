/** @module Options of the `etcd` probe kind. The target is one member's client URL (http://host:2379). */
import { z } from "zod";
import { tlsOptions } from "../_http/mod.ts";

const list = z.union([z.string(), z.array(z.string())]).transform((v) => (Array.isArray(v) ? v : [v]).flatMap((s) => s.split(",")).map((s) => s.trim()).filter(Boolean));

export const etcdOptions = z.strictObject({
  endpoints: list.optional().describe("Client URLs of every member to probe (\"http://10.0.0.1:2379,http://10.0.0.2:2379\"). Each gets GET /health and maintenance status; the round-trip runs once, through a healthy member. Default: only the target."),
  minHealthy: z.number().int().min(1).optional().describe("Members that must be healthy. Default: a majority of the probed members."),
  roundTrip: z.boolean().default(true).describe("Write, read back and delete a probe key through Raft (a linearizable round-trip)."),
  leaseTtl: z.number().int().min(2).max(300).default(5).describe("TTL in seconds of the lease the probe key is bound to, so a crashed probe leaves nothing behind."),
  keyPrefix: z.string().min(1).default("/edgeprobe/probe/").describe("Prefix of the probe key; the key is prefix + probe name + \"/\" + a per-instance random id."),
  username: z.string().min(1).optional().describe("User for etcd authentication (/v3/auth/authenticate). Needs `password`."),
  password: z.string().optional().describe("Password of `username`; use ${VAR} in config to keep it out of the file."),
  tls: tlsOptions.optional().describe("TLS for https:// endpoints: ca, cert, key (client certificate), verify (default true), servername."),
}).refine((o) => (o.username === undefined) === (o.password === undefined), {
  message: "username and password go together",
  path: ["password"],
});
export type EtcdProbeOptions = z.infer<typeof etcdOptions>;
