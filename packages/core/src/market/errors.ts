import { CatalogError } from '@mdhub/protocol';
/** Error codes of the market module (products, calendar, vendor time). */
export const MARKET_ERRORS = {
  MDH_ERR_MARKET_BAD_DATA: { message: 'markets.json is missing or invalid', retryable: false },
  MDH_ERR_MARKET_BAD_ARG: { message: 'a calendar day or time of day is malformed', retryable: false },
  MDH_ERR_VENDOR_BAD_TIME: { message: 'vendor time fields (UpdateTime, UpdateMillisec) are empty or malformed', retryable: false },
  MDH_ERR_CALENDAR_BAD_FILE: { message: 'a calendar file (or a stored calendar override) is not a holiday list {"year": 2027, "holidays": ["2027-01-01", ...]} nor markets.json holidays by year; details name the fields', retryable: false },
  MDH_ERR_MARKET_BAD_PATTERN: { message: 'an instrument pattern is not all, *, *.EXCHANGE, PRODUCT*.EXCHANGE or SYMBOL.EXCHANGE (or names an unknown exchange or product)', retryable: false },
} as const;

/** A code of {@link MARKET_ERRORS}. */
export type MarketErrorCode = keyof typeof MARKET_ERRORS;

/** Named error of the market module: `code` plus machine-readable `details`. */
export class MarketError extends CatalogError<MarketErrorCode> {
  constructor(code: MarketErrorCode, details: Record<string, unknown> = {}, cause?: unknown) {
    super(MARKET_ERRORS, code, details, cause);
    this.name = 'MarketError';
  }
}
