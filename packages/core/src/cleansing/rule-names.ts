/** Names of the built-in rules, in the order the pipeline runs them (a module of its own: the light plugin API reads it). */
export const BUILTIN_RULES = [
  'unknown_instrument',
  'non_finite',
  'negative_volume',
  'non_positive_price',
  'clock_skew',
  'wrong_trading_day',
  'outside_session',
  'stale_replay',
  'outside_limits',
  'crossed_book',
  'ohlc_inconsistent',
  'volume_decrease',
  'turnover_decrease',
  'turnover_mismatch',
  'price_jump',
] as const;

/** A built-in rule name. */
export type BuiltinRuleName = (typeof BUILTIN_RULES)[number];
