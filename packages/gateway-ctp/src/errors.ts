import { CatalogError } from '@mdhub/protocol';

/**
 * Error catalog of the CTP/SOPT gateways: the vendor library, its flavour, the binding. Vendor codes
 * (ErrorID, disconnect reasons) go in `details`. Listed in docs/reference/errors.md; never reuse a code.
 */
export const CTP_ERRORS = {
  MDH_ERR_CTP_ADDON_MISSING: { message: 'the vendor binding (N-API addon) is not built on this machine (details say why the build failed)', retryable: false },
  MDH_ERR_CTP_LIBRARY_NOT_FOUND: { message: 'no vendor library file at the configured path', retryable: false },
  MDH_ERR_CTP_LIBRARY_LOAD: { message: 'the vendor library cannot be loaded (not a Linux x86-64 shared library, or a dependency is missing)', retryable: false },
  MDH_ERR_CTP_SYMBOL_MISSING: { message: 'the library exports no market-data API factory (CreateFtdcMdApi): not a CTP or SOPT md library', retryable: false },
  MDH_ERR_CTP_FLAVOUR_MISMATCH: { message: 'the library is of another flavour than the one configured (details name the one it is)', retryable: false },
  MDH_ERR_CTP_CREATE_FAILED: { message: "the library's CreateFtdcMdApi returned no API object", retryable: true },
  MDH_ERR_CTP_FIELD_TOO_LONG: { message: 'a value does not fit the vendor field it goes into (broker id, user id, password, instrument id)', retryable: false },
  MDH_ERR_CTP_RELEASED: { message: 'the vendor session was already released', retryable: false },
  MDH_ERR_CTP_REFERENCE_INVALID: { message: 'the instrument reference file cannot be read or has a malformed row (details name the line and the field)', retryable: false },
  MDH_ERR_CTP_NO_INSTRUMENTS: { message: 'the instruments setting resolves to no instrument (options and SSE/SZSE need a reference file)', retryable: false },
  MDH_ERR_CTP_FLOW_DIR: { message: 'the flow folder cannot be created or written', retryable: false },
} as const;

export type CtpErrorCode = keyof typeof CTP_ERRORS;

export class CtpError extends CatalogError<CtpErrorCode> {
  constructor(code: CtpErrorCode, details: Record<string, unknown> = {}, cause?: unknown) {
    super(CTP_ERRORS, code, details, cause);
    this.name = 'CtpError';
  }
}

/** A native exception (a JS Error with a `code` of this catalog) as a named error. */
export function fromNative(err: unknown): unknown {
  const code = (err as { code?: unknown })?.code;
  if (typeof code === 'string' && code in CTP_ERRORS) return new CtpError(code as CtpErrorCode, { reason: (err as Error).message }, err);
  return err;
}
