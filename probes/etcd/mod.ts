/** @module etcd probe over the v3 JSON gateway (etcd 3.4+), and agent self-registration in etcd. */
export { etcd } from "./etcd_probe.ts";
export { etcdOptions } from "./options.ts";
export type { EtcdProbeOptions } from "./options.ts";
export { createEtcdGateway, endpointUrl } from "./gateway.ts";
export type { EtcdGateway, EtcdGatewayOptions } from "./gateway.ts";
export * from "./gateway_codec.ts";
export { startRegistration } from "./registration.ts";
export type { Registration, RegistrationOptions } from "./registration.ts";
