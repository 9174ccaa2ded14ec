import { CatalogError } from '@mdhub/protocol';

/** Error codes of @mdhub/client. Every code is listed in docs/reference/errors.md. */
export const CLIENT_ERRORS = {
  MDH_ERR_CLIENT_BAD_PATTERN: { message: 'a subscription pattern is not SYMBOL.EXCHANGE, PRODUCT*.EXCHANGE, *.EXCHANGE or *', retryable: false },
  MDH_ERR_CLIENT_QUEUE_OVERFLOW: { message: 'a subscription fell more than its maxQueue ticks behind under the error policy and was closed', retryable: false },
  MDH_ERR_CLIENT_SNAPSHOT_TIMEOUT: { message: 'the snapshot service did not answer in time', retryable: true },
  MDH_ERR_CLIENT_SNAPSHOT_REFUSED: { message: 'the snapshot service refused a request', retryable: false },
  MDH_ERR_CLIENT_SNAPSHOT_BAD_REPLY: { message: 'a snapshot reply could not be understood', retryable: true },
  MDH_ERR_CLIENT_SNAPSHOT_UNAVAILABLE: { message: 'no snapshot endpoint is configured (option snapshotEndpoint)', retryable: false },
  MDH_ERR_CLIENT_MERGE_BUFFER_FULL: { message: 'live ticks waiting for a snapshot exceeded maxBufferedTicks: the merge was given up', retryable: true },
  MDH_ERR_CLIENT_CLOSED: { message: 'the client is closed', retryable: false },
} as const;

export type ClientErrorCode = keyof typeof CLIENT_ERRORS;

/** An error of @mdhub/client: a stable `code`, `retryable`, typed `details` and an optional `cause`. */
export class ClientError extends CatalogError<ClientErrorCode> {
  constructor(code: ClientErrorCode, details: Record<string, unknown> = {}, cause?: unknown) {
    super(CLIENT_ERRORS, code, details, cause);
    this.name = 'ClientError';
  }
}
