import { CatalogError } from '@mdhub/protocol';
/**
 * Error catalog of the cleansing stage (filter plugins and pipeline configuration). Codes are stable
 * and never reused; the integrator merges this catalog into the package's catalog.
 */
export const CLEANSING_ERRORS = {
  MDH_ERR_PLUGIN_UNKNOWN: { message: 'the configuration names a filter plugin that is not registered', retryable: false },
  MDH_ERR_PLUGIN_DUPLICATE: { message: 'two filter plugins (or a plugin and a built-in rule) share a name', retryable: false },
  MDH_ERR_PLUGIN_BAD_FILTER: { message: "a filter plugin's create() did not return a valid filter", retryable: false },
  MDH_ERR_CLEANSING_BAD_CONFIG: { message: 'the cleansing configuration is invalid', retryable: false },
  MDH_ERR_CLEANSING_UNKNOWN_RULE: { message: 'the cleansing configuration names a rule that does not exist', retryable: false },
} as const;

/** A code of {@link CLEANSING_ERRORS}. */
export type CleansingErrorCode = keyof typeof CLEANSING_ERRORS;

/** A named cleansing / filter-plugin error: stable `code`, `retryable`, typed `details`, optional `cause`. */
export class CleansingError extends CatalogError<CleansingErrorCode> {
  constructor(code: CleansingErrorCode, details: Record<string, unknown> = {}, cause?: unknown) {
    super(CLEANSING_ERRORS, code, details, cause);
    this.name = 'CleansingError';
  }
}
