import { CatalogError } from '@mdhub/protocol';
/**
 * Error catalog of @mdhub/core (fastify-style): a stable code, a message, whether retrying can help.
 * Every code is listed in docs/reference/errors.md; a test keeps the two in step. Never reuse a code.
 */
export const CORE_ERRORS = {
  MDH_ERR_CONFIG_INVALID: { message: 'the hub configuration is invalid', retryable: false },
  MDH_ERR_CONFIG_FILE_UNREADABLE: { message: 'the configuration file cannot be read or parsed', retryable: false },
  MDH_ERR_DB_UNREACHABLE: { message: 'the configured database cannot be reached', retryable: true },
  MDH_ERR_DB_BAD_ROW: { message: 'a database row does not match its schema', retryable: false },
  MDH_ERR_DB_UNSUPPORTED_URL: { message: 'the database URL names an unsupported database', retryable: false },
  MDH_ERR_DB_NOT_MIGRATED: { message: 'the database has no mdhub schema, or an older one: run `mdhub db migrate --db URL`', retryable: false },
  MDH_ERR_DB_SCHEMA_NEWER: { message: 'the database schema is newer than this build of mdhub knows: upgrade mdhub', retryable: false },
  MDH_ERR_CONFIG_UNKNOWN_ID: { message: 'no stored account, gateway, group, plugin or user has that id', retryable: false },
  MDH_ERR_CONFIG_CONFLICT: { message: 'the change conflicts with the stored configuration (details say how)', retryable: false },
  MDH_ERR_CONFIG_SECRET_IN_GATEWAY: { message: 'a gateway configuration holds a secret field: credentials belong to its account', retryable: false },
  MDH_ERR_ACCOUNT_DISABLED: { message: 'a gateway is not run: its broker account is disabled (taken out of use; details name the account)', retryable: false },
  MDH_ERR_CONFIG_ADDRESS_IN_USE: { message: 'an address the hub binds is in use (details name the setting and the value)', retryable: true },
  MDH_ERR_CONFIG_BIND_FAILED: { message: 'an address the hub binds cannot be bound (details name the setting, the value and the reason)', retryable: false },
  MDH_ERR_SECRET_KEY_INVALID: { message: 'MDHUB_SECRET_KEY or the key file does not hold 32-byte keys in base64 or hex', retryable: false },
  MDH_ERR_SECRET_KEY_MISSING: { message: 'no secret key is available and the database holds encrypted secrets: set MDHUB_SECRET_KEY or restore the key file (details give the expected key id)', retryable: false },
  MDH_ERR_SECRET_KEY_MISMATCH: { message: 'the secret key is not the one the stored secrets were encrypted with (details give the expected key id)', retryable: false },
  MDH_ERR_SECRET_UNDECRYPTABLE: { message: 'a stored secret cannot be decrypted (wrong key or damaged ciphertext)', retryable: false },
  MDH_ERR_USER_BAD_PASSWORD: { message: 'a new password is refused: at least 8 characters, not the default, not the user name', retryable: false },
  MDH_ERR_DATAPLANE_DEAD: { message: 'the data-plane worker died or stopped answering: the hub exits so its service manager restarts it', retryable: true },
  MDH_ERR_GATEWAY_UNKNOWN: { message: 'no gateway instance has that id', retryable: false },
  MDH_ERR_GATEWAY_CIRCUIT_OPEN: { message: 'a gateway instance is not restarted: its last restarts never reached healthy (circuit breaker open; details give when it is tried again)', retryable: true },
  MDH_ERR_SOURCE_STALE: { message: 'a source stopped feeding: its canaries fell behind other sources, it delivers no data, or it lost its front (details give the reason)', retryable: true },
  MDH_ERR_SOURCE_DEAD: { message: 'a source process does not answer on its control channel (hung or stopped): it is killed and restarted', retryable: true },
  MDH_ERR_GROUP_SILENT: { message: 'every source of a group is silent on its canaries inside a trading session (the market or the whole feed; no restarts)', retryable: true },
  MDH_ERR_GROUP_NO_SOURCE: { message: 'a group has no healthy source inside its trading session: its instruments are not published', retryable: true },
  MDH_ERR_API_UNAUTHORIZED: { message: 'the control API needs a session: log in (POST /api/login) and send its cookie or bearer token', retryable: false },
  MDH_ERR_API_PASSWORD_CHANGE_REQUIRED: { message: 'the password must be changed first (POST /api/password): nothing else works until then', retryable: false },
  MDH_ERR_API_BAD_LOGIN: { message: 'wrong user name or password', retryable: false },
  MDH_ERR_API_RATE_LIMITED: { message: 'too many failed logins: wait before trying again (details give how long)', retryable: true },
  MDH_ERR_API_BAD_REQUEST: { message: 'a control-API request is malformed (details name the field and why)', retryable: false },
  MDH_ERR_API_NOT_FOUND: { message: 'no such control-API route or resource', retryable: false },
  MDH_ERR_API_INTERNAL: { message: 'the control API failed on a request (a bug: logged on the hub)', retryable: true },
  MDH_ERR_API_FORBIDDEN_ORIGIN: { message: 'a state-changing request came from an origin the hub does not allow (CSRF protection)', retryable: false },
  MDH_ERR_LINK_BAD_BATCH: { message: 'a gateway sent a malformed batch on the data link', retryable: false },
  MDH_ERR_LINK_OVERFLOW: { message: 'a gateway process dropped ticks because the hub stopped reading its link (counted, status event "link_overflow")', retryable: true },
  MDH_ERR_LINK_WRONG_RUN: { message: 'a gateway batch carries another hub run id', retryable: false },
  MDH_ERR_HUB_ALREADY_RUNNING: { message: 'another hub runs with this data folder', retryable: false },
  MDH_ERR_HUB_NOT_RUNNING: { message: 'no running hub was found for this data folder', retryable: true },
  MDH_ERR_CLI_USAGE: { message: 'the command line is not valid', retryable: false },
  MDH_ERR_CONTROL_BAD_REQUEST: { message: 'a control-socket request is malformed or names an unknown operation', retryable: false },
  MDH_ERR_CONTROL_TIMEOUT: { message: 'the running hub did not answer on its control socket in time', retryable: true },
  MDH_ERR_TICK_REJECTED: { message: 'cleansing rejected a tick (sampled log record; details name the rule)', retryable: false },
  MDH_ERR_PUBLISH_OVERLOAD: { message: 'a send on the PUB socket failed: the tick is dropped (counted, status event "overload")', retryable: true },
  MDH_ERR_ALERT_EMAIL_FAILED: { message: 'an alert email could not be sent (the SMTP server refused it or cannot be reached; details give the reason): logged and counted, the hub runs on', retryable: true },
  MDH_ERR_ALERT_INCIDENT_STORE: { message: 'the alert-incident table cannot be read or written (the database is unreachable): the email goes out without de-duplication across hubs', retryable: true },
  MDH_ERR_ALERT_RATE_LIMITED: { message: 'alert emails reached the hourly limit (alerts.maxPerHour): the rest are counted and summarised in the next email', retryable: true },
  MDH_ERR_ALERT_SMTP_PASSWORD_MISSING: { message: 'alerts.smtp.user is set but MDHUB_SMTP_PASSWORD is not: the SMTP login is tried without a password', retryable: false },
  MDH_ERR_SNAPSHOT_BAD_REQUEST: { message: 'a snapshot-service request is malformed: not a msgpack map, an unknown op, or instruments not a list of vt_symbols', retryable: false },
  MDH_ERR_LOG_FILE: { message: 'the log folder cannot be written (--log-dir): the hub logs to stdout and stderr only', retryable: false },
  MDH_ERR_CALENDAR_DATA_ENDING: { message: 'the trading-calendar data ends within 30 days (or has ended): import the next year with mdhub calendar import (alert calendar_ending, daily)', retryable: false },
} as const;

export type CoreErrorCode = keyof typeof CORE_ERRORS;

export class MdhubError extends CatalogError<string> {
  constructor(code: CoreErrorCode, details: Record<string, unknown> = {}, cause?: unknown) {
    super(CORE_ERRORS, code, details, cause);
    this.name = 'MdhubError';
  }
}

export function errorInfo(err: unknown): { code?: string; message: string; details?: Record<string, unknown> } {
  if (err instanceof CatalogError) return { code: err.code, message: err.message, details: err.details };
  if (err instanceof Error) {
    const { code, details } = err as { code?: unknown; details?: unknown };
    return { ...(typeof code === 'string' ? { code } : {}), message: err.message, ...(typeof details === 'object' && details !== null ? { details: details as Record<string, unknown> } : {}) };
  }
  return { message: String(err) };
}
