/** Error codes of @mdhub/protocol. Every code is listed in docs/reference/errors.md. */
export const PROTOCOL_ERRORS = {
  MDH_ERR_WIRE_BAD_MESSAGE: { message: 'a wire message could not be decoded', retryable: false },
  MDH_ERR_WIRE_BAD_TICK: { message: 'a tick on the wire lacks a field or has a field of the wrong type', retryable: false },
  MDH_ERR_WIRE_BAD_BATCH: { message: 'a gateway batch is malformed', retryable: false },
  MDH_ERR_TOPIC_BAD_PATTERN: { message: 'a subscription pattern is not SYMBOL.EXCHANGE, *.EXCHANGE, * or an event topic', retryable: false },
} as const;

export type ProtocolErrorCode = keyof typeof PROTOCOL_ERRORS;

/** An error catalog: stable code → message and whether retrying can help. */
export type ErrorCatalog = Readonly<Record<string, { readonly message: string; readonly retryable: boolean }>>;

/**
 * Base of every mdhub error (fastify-style catalog errors): a stable `code` from a catalog, its message
 * (plus `details.reason` when given), `retryable`, typed `details` and an optional `cause`. Each package
 * subclasses it with its own catalog.
 */
export class CatalogError<C extends string = string> extends Error {
  readonly code: C;
  readonly retryable: boolean;
  readonly details: Record<string, unknown>;
  constructor(catalog: ErrorCatalog, code: C, details: Record<string, unknown> = {}, cause?: unknown) {
    const entry = catalog[code]!;
    const why = typeof details['reason'] === 'string' ? ` (${details['reason']})` : '';
    super(`${code}: ${entry.message}${why}`, cause === undefined ? undefined : { cause });
    this.code = code;
    this.retryable = entry.retryable;
    this.details = details;
  }
}

export class ProtocolError extends CatalogError<ProtocolErrorCode> {
  constructor(code: ProtocolErrorCode, details: Record<string, unknown> = {}, cause?: unknown) {
    super(PROTOCOL_ERRORS, code, details, cause);
    this.name = 'ProtocolError';
  }
}
