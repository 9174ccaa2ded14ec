/**
 * Cleansing configuration: thresholds, instrument groups, enabled rules, plugin filters and the
 * rejection log's sampling. Plain JSON, validated with zod at the boundary.
 */
import { EXCHANGES } from '@mdhub/protocol';
import { z } from 'zod';

import { BUILTIN_RULES } from './rule-names.js';
export { BUILTIN_RULES } from './rule-names.js';
export type { BuiltinRuleName } from './rule-names.js';

/** Thresholds of the built-in rules (per instrument group). See docs/cleansing.md for each. */
export interface CleansingThresholds {
  /** clock_skew: max age of `datetime` behind the hub clock (`localtime`), ms. */
  maxLagMs: number;
  /** clock_skew: max lead of `datetime` ahead of the hub clock, ms. */
  maxAheadMs: number;
  /** clock_skew: max age allowed for a snapshot stamped in a segment's end grace (settlement snapshot), ms. */
  closeSnapshotLagMs: number;
  /** outside_session: grace after each segment end (snapshots stamped at / just after the end), ms. */
  sessionGraceMs: number;
  /** outside_session: minimum length of an auction-result window, counted from the matching start, ms. */
  auctionWindowMs: number;
  /** stale_replay: how far behind the source's accepted watermark a tick may be, ms. */
  staleMs: number;
  /** stale_replay: applies only while the source accepted this instrument within this time, ms. */
  staleActiveMs: number;
  /** Re-anchor volume_decrease / turnover_decrease / stale_replay after this many consistent rejections of one source. */
  monotonicReanchorTicks: number;
  /** turnover_mismatch: tolerance of a VWAP (cumulative or incremental) around [low, high], in price ticks. */
  turnoverTolTicks: number;
  /** turnover_mismatch (CZCE): relative tolerance of turnover / volume against average_price (× multiplier or not). */
  czceTurnoverRelTol: number;
  /** price_jump: allowed move = max(jumpMinTicks × tick, jumpSigmas × σ × √Δt), σ² = variance rate of the last price between trades (plus the band floor during warm-up). */
  jumpSigmas: number;
  /** price_jump: floor of the allowed move, in price ticks. */
  jumpMinTicks: number;
  /** price_jump: during warm-up, floor of the allowed move as a fraction of min(limit band, 2 × price) (20% of price when limits are absent). */
  jumpBandFraction: number;
  /** price_jump: accepted trades before σ alone (with the tick floor) sets the allowed move. */
  jumpWarmupTicks: number;
  /** price_jump: EWMA weight of a new trade's move in σ² (variance rate: squared move / time since the previous trade). */
  jumpEwmaAlpha: number;
  /** price_jump: cap of the horizon √(Δt / 500 ms) (Δt = time since the last accepted trade). */
  jumpMaxTimeFactor: number;
  /** price_jump: no comparison after a silence of this source longer than this (a new anchor), ms. */
  jumpResetAfterMs: number;
  /** price_jump: accept (re-anchor) on the N-th consecutive consistent jumped tick of one source. */
  jumpReanchorTicks: number;
}

/** Default thresholds (used for every group unless overridden). */
export const DEFAULT_THRESHOLDS: Readonly<CleansingThresholds> = Object.freeze({
  maxLagMs: 60_000,
  maxAheadMs: 10_000,
  closeSnapshotLagMs: 3_600_000,
  sessionGraceMs: 5_000,
  auctionWindowMs: 60_000,
  staleMs: 1_000,
  staleActiveMs: 300_000,
  monotonicReanchorTicks: 5,
  turnoverTolTicks: 1,
  czceTurnoverRelTol: 0.002,
  jumpSigmas: 10,
  jumpMinTicks: 10,
  jumpBandFraction: 0.05,
  jumpWarmupTicks: 20,
  jumpEwmaAlpha: 0.02,
  jumpMaxTimeFactor: 30,
  jumpResetAfterMs: 300_000,
  jumpReanchorTicks: 3,
});

const nonNeg = z.number().finite().nonnegative();
const pos = z.number().finite().positive();

/** Partial thresholds (overrides). */
export const thresholdsSchema = z
  .object({
    maxLagMs: pos,
    maxAheadMs: pos,
    closeSnapshotLagMs: nonNeg,
    sessionGraceMs: nonNeg,
    auctionWindowMs: nonNeg,
    staleMs: nonNeg,
    staleActiveMs: pos,
    monotonicReanchorTicks: z.number().int().min(1),
    turnoverTolTicks: nonNeg,
    czceTurnoverRelTol: nonNeg,
    jumpSigmas: pos,
    jumpMinTicks: nonNeg,
    jumpBandFraction: nonNeg,
    jumpWarmupTicks: z.number().int().min(0),
    jumpEwmaAlpha: z.number().gt(0).lte(1),
    jumpMaxTimeFactor: z.number().min(1),
    jumpResetAfterMs: pos,
    jumpReanchorTicks: z.number().int().min(1),
  })
  .partial()
  .strict();

/** Which instruments a group covers; every listed criterion must match (an empty match takes all). */
export const groupMatchSchema = z
  .object({
    exchanges: z.array(z.enum(EXCHANGES as unknown as [string, ...string[]])).optional(),
    /** Product codes (`rb`, `SR`, `IO`, `m_o`, `510050`). */
    products: z.array(z.string().min(1)).optional(),
    kinds: z.array(z.enum(['future', 'option'])).optional(),
    /** Exact instrument ids. */
    symbols: z.array(z.string().min(1)).optional(),
    /**
     * Instrument patterns (`all`, `*.SHFE`, `rb*.SHFE`, `rb2701.SHFE`: the grammar of instrument groups), so
     * a hub's cleansing groups cover exactly its instrument groups' instruments.
     */
    patterns: z.array(z.string().min(1)).optional(),
  })
  .strict();

/** An instrument group: its match, threshold overrides and rule switches. */
export const groupSchema = z
  .object({
    name: z.string().min(1),
    match: groupMatchSchema.optional(),
    thresholds: thresholdsSchema.optional(),
    /** Rules (built-in or plugin rule names / filter names) switched off for this group. */
    disable: z.array(z.string().min(1)).optional(),
    /** Rules switched back on for this group when the top level disabled them. */
    enable: z.array(z.string().min(1)).optional(),
  })
  .strict();

/** One plugin filter instance in the configuration. */
export const filterInstanceSchema = z
  .object({
    /** Name of a registered filter plugin (options.plugins). */
    plugin: z.string().min(1),
    /** Plugin configuration, validated with the plugin's configSchema. */
    config: z.unknown().optional(),
    /** Groups the filter runs for (default: all). */
    groups: z.array(z.string().min(1)).optional(),
  })
  .strict();

/** The whole cleansing configuration (plain JSON). */
export const cleansingConfigSchema = z
  .object({
    /** Threshold overrides for every group (group thresholds override these). */
    thresholds: thresholdsSchema.optional(),
    /** Rules switched off everywhere (groups may `enable` them again). */
    disable: z.array(z.string().min(1)).optional(),
    /** Instrument groups, first match wins; instruments matching none belong to group `default`. */
    groups: z.array(groupSchema).optional(),
    filters: z.array(filterInstanceSchema).optional(),
    /** Rejection log sampling: a token bucket per rule (burst, refill per second of market time). */
    log: z.object({ burst: z.number().int().min(0), perSecond: nonNeg }).partial().strict().optional(),
  })
  .strict();

/** The cleansing configuration as JSON (input form). */
export type CleansingConfig = z.input<typeof cleansingConfigSchema>;
/** An instrument group as configured. */
export type CleansingGroupConfig = z.infer<typeof groupSchema>;
