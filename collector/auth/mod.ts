/** @module Authentication and roles of the collector (docs/security.md). */
export { type AuthConfig, authConfigSchema } from "./auth_config.ts";
export { type AuthEnv, authGate, authorize, principalOf, requireRole, unauthorized } from "./auth_gate.ts";
export { type AgentGrant, type Authenticator, bearerToken, createAuthenticator, SESSION_COOKIE } from "./authenticator.ts";
export { LOGIN_OPEN_PATHS, loginRoutes } from "./login_routes.ts";
export { hashPassword, verifyPassword } from "./password_hash.ts";
export { type Principal, type ReadRole, type Role, roleAllows } from "./roles.ts";
export { sameSecret, SecretTable } from "./secret_digest.ts";
