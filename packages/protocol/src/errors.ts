/** Error codes of @mdhub/protocol. Every code is listed in docs/reference/errors.md. */
export const PROTOCOL_ERRORS = {
  MDH_ERR_WIRE_BAD_MESSAGE: { message: 'a wire message could not be decoded', retryable: false },
  MDH_ERR_WIRE_BAD_TICK: { message: 'a tick on the wire lacks a field or has a field of the wrong type', retryable: false },
  MDH_ERR_WIRE_BAD_BATCH: { message: 'a gateway batch is malformed', retryable: false },
  MDH_ERR_TOPIC_BAD_PATTERN: { message: 'a subscription pattern is not SYMBOL.EXCHANGE, *.EXCHANGE, * or an event topic', retryable: false },
} as const;

export type ProtocolErrorCode = keyof typeof PROTOCOL_ERRORS;

export class ProtocolError extends Error {
  readonly code: ProtocolErrorCode;
  readonly retryable: boolean;
  readonly details: Record<string, unknown>;
  constructor(code: ProtocolErrorCode, details: Record<string, unknown> = {}, cause?: unknown) {
    const why = typeof details['reason'] === 'string' ? ` (${details['reason']})` : '';
    super(`${code}: ${PROTOCOL_ERRORS[code].message}${why}`, cause === undefined ? undefined : { cause });
    this.name = 'ProtocolError';
    this.code = code;
    this.retryable = PROTOCOL_ERRORS[code].retryable;
    this.details = details;
  }
}
