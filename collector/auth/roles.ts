/**
 * @module Who may do what on the collector. Three roles, docs/security.md "Threat model":
 * `agent` sends telemetry for its own id and reads nothing; `viewer` reads the fleet API, the
 * event stream, the dashboard and `/metrics`; `operator` can do everything a viewer can plus
 * actions that change state (acknowledging alarms).
 */

export const ROLES = ["agent", "viewer", "operator"] as const;
export type Role = typeof ROLES[number];

/** The roles a person or a machine on the read side can hold (agents never read). */
export const READ_ROLES = ["viewer", "operator"] as const;
export type ReadRole = typeof READ_ROLES[number];

/** Who made a request, and how we know. */
export interface Principal {
  /** A user name, an API token's name, the proxy-asserted user, or "anonymous" (publicRead). */
  readonly name: string;
  readonly role: ReadRole;
  readonly via: "session" | "token" | "proxy" | "public";
}

/** Operators can do what viewers do; agents hold no read role at all. */
export function roleAllows(have: ReadRole, need: ReadRole): boolean {
  return have === "operator" || have === need;
}
