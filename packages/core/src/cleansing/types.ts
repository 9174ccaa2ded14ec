/**
 * Contract of the cleansing stage: filters and the market facts they need (the filter plugin manifest is in plugin/manifest.ts).
 * A filter sees each tick of one source together with per-(source, instrument) state and answers
 * accept (`null`) or a {@link Rejection}. Filters run per source, before arbitration.
 */
import type { Exchange, MarketTick } from '@mdhub/protocol';
import type { Auction, Segment, SessionTemplateId } from '../market/index.js';

/** Why a tick was rejected: the rule's stable name and a human-readable reason. */
export interface Rejection {
  readonly rule: string;
  readonly reason: string;
}

/** A filter's answer: `null` accepts (no allocation on the hot path), a {@link Rejection} rejects. */
export type FilterVerdict = Rejection | null;

/** What one source last had accepted for one instrument (read-only view for filters). */
export interface AcceptedState {
  /** Source id (gateway instance). */
  readonly source: string;
  /** Ticks accepted from this source for this instrument since the pipeline saw it first. */
  readonly count: number;
  /** Exchange timestamp (epoch ms) of the last accepted tick; 0 before the first. */
  readonly datetime: number;
  /** Highest accepted exchange timestamp of the current trading day (the source's watermark). */
  readonly watermark: number;
  /** Hub receive time (epoch ms, market clock) of the last accepted tick. */
  readonly localtime: number;
  /** Trading day (`YYYYMMDD`) of the last accepted tick; '' before the first. */
  readonly tradingDay: string;
  readonly volume: number;
  readonly turnover: number;
  readonly openInterest: number;
  readonly lastPrice: number;
  readonly bidPrice1: number;
  readonly askPrice1: number;
}

/** Static facts about an instrument, resolved once when the pipeline first sees it. */
export interface InstrumentInfo {
  readonly symbol: string;
  readonly exchange: Exchange;
  /** Product code (`rb`, `SR`, `IO`, `510050`, `m_o` …). */
  readonly product: string;
  readonly kind: 'future' | 'option';
  readonly priceTick: number;
  /** CTP VolumeMultiple: yuan per 1.0 of price per lot. */
  readonly multiplier: number;
  readonly session: SessionTemplateId;
  /** Instrument group the pipeline resolved for it (thresholds and enabled rules come from it). */
  readonly group: string;
}

/**
 * What a filter may read besides the tick: the instrument, this source's accepted state and every
 * source's accepted state of the same instrument (cross-source agreement). Interned per
 * (source, instrument): the same object is passed on every call, so a filter must not keep it as a
 * per-tick value, only read it.
 */
export interface FilterContext {
  readonly source: string;
  readonly instrument: InstrumentInfo;
  /** This source's accepted state (the same object as the entry of `peers` for this source). */
  readonly accepted: AcceptedState;
  /** Accepted state of every source that has delivered this instrument, this one included. */
  readonly peers: readonly AcceptedState[];
}

/**
 * A filter. `S` is its per-(source, instrument) state, created lazily by `createState`.
 * `check` must not allocate on the accept path; `accepted` is called once the whole pipeline has
 * accepted the tick (update moving statistics there, not in `check`).
 */
export interface Filter<S = unknown> {
  /** Filter name (unique in a pipeline; built-in rule names are reserved). */
  readonly name: string;
  /** Rule names this filter can reject with (counted in stats). */
  readonly rules: readonly string[];
  createState?(instrument: InstrumentInfo, source: string): S;
  check(tick: MarketTick, ctx: FilterContext, state: S): FilterVerdict;
  accepted?(tick: MarketTick, ctx: FilterContext, state: S): void;
}

/** Product facts of one instrument as the cleansing stage needs them. */
export interface InstrumentSpec {
  readonly product: string;
  readonly kind: 'future' | 'option';
  readonly priceTick: number;
  readonly multiplier: number;
  readonly session: SessionTemplateId;
}

/**
 * The slice of the market module the cleansing stage uses. The default adapter
 * ({@link defaultCleansingMarket}) is built on products.ts and calendar.ts; tests and replays of
 * other markets can pass their own.
 */
export interface CleansingMarket {
  /** Product facts of an instrument id, or undefined when the id or product is unknown. */
  instrument(symbol: string, exchange: Exchange): InstrumentSpec | undefined;
  /** Segments of one trading day (`YYYYMMDD`), [start, end) epoch ms, in trading-day order. */
  segments(template: SessionTemplateId, tradingDay: string): readonly Segment[];
  /** Call auctions of one trading day. */
  auctions(template: SessionTemplateId, tradingDay: string): readonly Auction[];
  /** The trading day an instant belongs to, or null (weekend or holiday daytime). */
  tradingDayAt(template: SessionTemplateId, epochMs: number): string | null;
}

/** The pipeline's answer for one tick. `ok: true` is one shared frozen object. */
export type CheckResult = { readonly ok: true } | { readonly ok: false; readonly rule: string; readonly reason: string };

/** A rejected tick as handed to the sampled logger. */
export interface RejectionLogRecord {
  readonly rule: string;
  readonly reason: string;
  readonly source: string;
  readonly group: string;
  readonly symbol: string;
  readonly exchange: string;
  readonly datetime: number;
  readonly localtime: number;
  /** Rejections of this rule that were not logged (token bucket empty) since the previous record of it. */
  readonly suppressed: number;
}

/** One row of the rejection counters. */
export interface RejectionCount {
  readonly rule: string;
  readonly source: string;
  readonly group: string;
  readonly count: number;
}

/** Counters of a pipeline. */
export interface CleansingStats {
  readonly checked: number;
  readonly accepted: number;
  readonly rejected: number;
  /** Rejections per rule (all sources and groups). */
  readonly byRule: Readonly<Record<string, number>>;
  /** Ticks checked and rejected per source. */
  readonly bySource: Readonly<Record<string, { readonly checked: number; readonly rejected: number }>>;
  /** Rejections per rule × source × group (only non-zero rows). */
  readonly rejections: readonly RejectionCount[];
  /** Plugin filters that threw, per filter × source (only rows with errors). */
  readonly filterErrors: readonly FilterErrorCount[];
}

/** One row of the filter-error counters: calls of `filter` on `source`'s ticks that threw. */
export interface FilterErrorCount {
  readonly filter: string;
  readonly source: string;
  readonly count: number;
  /** True once the filter is disabled for that source (repeated failures). */
  readonly disabled: boolean;
}

/** A plugin filter threw (reported on every power of two of its count, and when it is disabled). */
export interface FilterFailure {
  readonly filter: string;
  readonly source: string;
  /** Which call threw. */
  readonly call: 'createState' | 'check' | 'accepted';
  readonly error: string;
  /** Calls of this filter on this source that threw so far. */
  readonly count: number;
  /** True when this failure disabled the filter for the source. */
  readonly disabled: boolean;
}
