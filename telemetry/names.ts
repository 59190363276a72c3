/**
 * @module Names that travel in telemetry: one rule for the agent's config and the collector's
 * ingest, so what an agent may be configured with is exactly what a collector accepts.
 */

/** A probe name, and an agent id set in the config: letters, digits, `_ . : -`, at most 63. */
export const NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.:-]{0,62}$/;
export const NAME_RULE = "expected a name of letters, digits, _ . : - (at most 63)";

/**
 * An agent id on the wire: the same characters, up to 253 (RFC 1035 §2.3.4: an FQDN), because
 * an agent without `agent.id` uses its hostname.
 */
export const AGENT_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.:-]{0,252}$/;

/** A boot id: the agent writes a UUID (RFC 9562); tests and tools use short tokens. */
export const BOOT_ID_PATTERN = /^[A-Za-z0-9_.:-]{1,64}$/;
