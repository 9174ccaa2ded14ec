import type { MarketTick } from '@mdhub/protocol';
import { TickEncodeMemo, stateKey, tickTopic } from '@mdhub/protocol';
import { matchesAny, parseInstrumentPatterns } from '../market/patterns.js';
import type { InstrumentPattern } from '../market/patterns.js';
import type { CanaryTrack } from './watch.js';
import type { SessionTemplateId } from '../market/types.js';

export type Policy = 'race' | 'priority';

/** An instrument group: which instruments (patterns as for subscriptions) and how sources compete. */
export interface GroupConfig {
  name: string;
  policy: Policy;
  /** Instrument patterns (`all`, `*.SHFE`, `rb*.SHFE`, `rb2601.SHFE`); the first group with a match owns an instrument. */
  instruments: string[];
  /** Source ids in priority order (best first). Empty: every source, in the order they were added. */
  sources: string[];
}

/** A standby's latest state to publish at a priority takeover (`from` fed the group before). */
export interface Takeover {
  state: InstrumentState;
  tick: MarketTick;
  from: string | null;
}

/** Why a copy was not published. */
export type Verdict = 'win' | 'duplicate' | 'old' | 'standby' | 'future' | 'unhealthy';

export interface SourceCounters {
  received: number;
  wins: number;
  duplicates: number;
  old: number;
  standby: number;
  future: number;
  unhealthy: number;
  rejected: number;
}

/** Per-instrument arbitration state, interned once per instrument (the key is `symbol.EXCHANGE`). */
export interface InstrumentState {
  readonly symbol: string;
  readonly exchange: string;
  readonly vt: string;
  readonly topic: Buffer;
  /** `topic` as text, for the publisher's subscription check. */
  readonly topicText: string;
  /** Whether a subscriber takes this instrument's per-tick topic, and its exchange's batches, as of the publisher's subscription generation `wantGen`. */
  tickWanted: boolean;
  batchWanted: boolean;
  wantGen: number;
  /** The group that owns the instrument (changes when the configuration's groups change: {@link Arbiter.setGroups}). */
  group: GroupRuntime;
  /** Watermark: exchange datetime, then cumulative volume, of the newest published state. */
  wmDt: number;
  wmVol: number;
  /** State keys published at exactly the watermark (CZCE: several real books share one second). */
  keys: number[];
  iseq: number;
  /** The last published market state (for snapshots and takeovers) and its state key. */
  last: MarketTick | null;
  lastKey: number;
  lastWinMono: number;
  /** Start of a run of copies older than the watermark with no win in between (0 = none). */
  olderSinceMono: number;
  olderFrom: Set<string>;
  /** During that run a copy of the watermark's own state arrived (a source agrees with it): no reset. */
  freshInRun: boolean;
  /** priority groups: each standby source's latest copy, published at takeover. */
  standbyLast: Map<string, MarketTick> | null;
  /** Volume and trading day of the state published last (-1 / '' before the first): `last_volume` is derived from them. */
  pubVolume: number;
  pubDay: string;
  /** The instrument's encoded strings, for the publisher's encoder. */
  readonly encodeMemo: TickEncodeMemo;
  /** Where the cleansing check keeps its handle on this instrument (opaque to the arbiter). */
  readonly checkSlot: { rec?: unknown };
  /** The canary track this contract is today (see SourceWatch), or null. */
  canary: CanaryTrack | null;
  /**
   * Whether a subscriber can trust the instrument's last state: `stale` (no healthy source feeds it inside
   * its session), `suspect` (every copy since the last accepted one was rejected by cleansing), `ok`.
   */
  dataState: 'ok' | 'stale' | 'suspect';
  /** The session template of its product (undefined: not looked up yet; null: unknown product). */
  session: SessionTemplateId | null | undefined;
  /** Copies rejected by cleansing since the last accepted one (any source). */
  rejectRun: number;
  /** The source whose copy cleansing rejected last, until a new state is published (a priority group's standby then fills in for it). */
  rejectedBy: string | null;
}

export interface GroupRuntime {
  readonly cfg: GroupConfig;
  readonly patterns: InstrumentPattern[];
  /** The feeding source of a priority group (null when none is healthy). */
  feeder: string | null;
}

export interface ArbiterOptions {
  groups: GroupConfig[];
  /** A copy stamped later than market now + skewMs never advances the watermark. */
  skewMs?: number;
  /** If every healthy source keeps arriving older than the watermark for this long, the watermark resets. */
  resetAfterMs?: number;
  onEvent?: (ev: { kind: string; [k: string]: unknown }) => void;
}

/**
 * Distinct states remembered at one watermark. Real feeds have a few (CZCE books within one second);
 * beyond the cap new states still win, and a copy of the newest is still a duplicate (lastKey).
 */
const MAX_KEYS_AT_WATERMARK = 256;

/**
 * Races copies of market states from several sources. The first copy of a new state wins; later copies of
 * that state (same watermark and same state key) are duplicates; copies older than the watermark are old.
 * `race` groups let every healthy source compete; `priority` groups take only the best healthy source and
 * keep the others as hot standby.
 */
export class Arbiter {
  /** Interned per-instrument state: exchange → symbol → state (no key string built per tick). */
  private readonly byExchange = new Map<string, Map<string, InstrumentState>>();
  private count = 0;
  private groups: GroupRuntime[];
  private readonly health = new Map<string, boolean>();
  private readonly order: string[] = [];
  readonly counters = new Map<string, SourceCounters>();
  private readonly skewMs: number;
  private readonly resetAfterMs: number;
  private readonly onEvent: NonNullable<ArbiterOptions['onEvent']>;

  constructor(opts: ArbiterOptions) {
    this.groups = Arbiter.runtime(opts.groups);
    this.skewMs = opts.skewMs ?? 10_000;
    this.resetAfterMs = opts.resetAfterMs ?? 3_000;
    this.onEvent = opts.onEvent ?? (() => {});
  }

  /**
   * Group runtimes for a configuration (patterns parsed: MDH_ERR_MARKET_BAD_PATTERN). Instruments no
   * configured group claims race on every source in an implicit group `default`.
   */
  private static runtime(configs: readonly GroupConfig[]): GroupRuntime[] {
    const groups = [...configs];
    const catchAll = (g: GroupConfig): boolean => g.instruments.some((p) => p === 'all' || p === '*' || p === '*.*');
    if (!groups.some(catchAll)) groups.push({ name: 'default', policy: 'race', instruments: ['all'], sources: [] });
    return groups.map((cfg) => ({ cfg, patterns: parseInstrumentPatterns(cfg.instruments), feeder: null }));
  }

  /**
   * Replaces the groups while ticks flow (live reconfiguration): every instrument moves to the group that
   * now owns it, each priority group picks its feeder, and a changed feeder is announced ('failover') with
   * the standby states to publish, as {@link setHealth} does. Throws on a bad pattern, changing nothing.
   */
  setGroups(configs: readonly GroupConfig[]): Takeover[] {
    const next = Arbiter.runtime(configs);
    const previousFeeder = new Map(this.groups.map((g) => [g.cfg.name, g.feeder]));
    this.groups = next;
    for (const st of this.states()) {
      const g = this.groupOf(st.symbol, st.exchange);
      const policyChanged = g.cfg.policy !== st.group.cfg.policy;
      st.group = g;
      if (policyChanged) st.standbyLast = g.cfg.policy === 'priority' ? new Map() : null;
    }
    const takeovers: Takeover[] = [];
    for (const g of this.groups) {
      if (g.cfg.policy !== 'priority') continue;
      g.feeder = this.pickFeeder(g);
      const prev = previousFeeder.get(g.cfg.name) ?? null;
      if (prev === g.feeder) continue;
      this.onEvent({ kind: 'failover', group: g.cfg.name, from: prev, to: g.feeder, reason: 'configuration' });
      if (g.feeder !== null) takeovers.push(...this.standbyStates(g, g.feeder, prev));
    }
    return takeovers;
  }

  /** Registers a source (idempotent). New sources start unhealthy until told otherwise. */
  addSource(id: string): SourceCounters {
    let c = this.counters.get(id);
    if (!c) {
      c = { received: 0, wins: 0, duplicates: 0, old: 0, standby: 0, future: 0, unhealthy: 0, rejected: 0 };
      this.counters.set(id, c);
      this.order.push(id);
      this.health.set(id, false);
    }
    return c;
  }

  /** Sets a source's health. Returns standby states to publish when a priority group changes feeder. */
  setHealth(id: string, healthy: boolean): Takeover[] {
    this.addSource(id);
    this.health.set(id, healthy);
    const takeovers: Takeover[] = [];
    for (const g of this.groups) {
      if (g.cfg.policy !== 'priority') continue;
      const next = this.pickFeeder(g);
      if (next === g.feeder) continue;
      const prev = g.feeder;
      g.feeder = next;
      this.onEvent({ kind: 'failover', group: g.cfg.name, from: prev, to: next });
      if (next !== null) takeovers.push(...this.standbyStates(g, next, prev));
    }
    return takeovers;
  }

  /** The latest states `feeder` holds, newer than what was published, of the instruments of `g`. */
  private standbyStates(g: GroupRuntime, feeder: string, from: string | null): Takeover[] {
    const out: Takeover[] = [];
    for (const st of this.states()) {
      if (st.group !== g) continue;
      const t = st.standbyLast?.get(feeder);
      if (t && this.isNewer(st, t)) out.push({ state: st, tick: t, from });
    }
    return out;
  }

  /** Names of the groups `id` may feed (every group whose source list is empty or names it). */
  groupsOf(id: string): string[] {
    return this.groups.filter((g) => g.cfg.sources.length === 0 || g.cfg.sources.includes(id)).map((g) => g.cfg.name);
  }

  /** Whether any source that may feed group `name` is healthy. */
  hasHealthySource(name: string): boolean {
    const g = this.groups.find((x) => x.cfg.name === name);
    if (!g) return false;
    const ids = g.cfg.sources.length > 0 ? g.cfg.sources : this.order;
    return ids.some((id) => this.health.get(id) === true);
  }

  /** A copy stamped later than this past market now never advances a watermark, ms. */
  get skew(): number {
    return this.skewMs;
  }

  isHealthy(id: string): boolean {
    return this.health.get(id) === true;
  }

  /** Interned state of an instrument, created on first sight (or before it: {@link DataPlane.prepareInstruments}). */
  instrument(t: Pick<MarketTick, 'symbol' | 'exchange'>): InstrumentState {
    let bySymbol = this.byExchange.get(t.exchange);
    if (!bySymbol) this.byExchange.set(t.exchange, (bySymbol = new Map()));
    let st = bySymbol.get(t.symbol);
    if (!st) {
      const vt = `${t.symbol}.${t.exchange}`;
      const topic = tickTopic(t.exchange, t.symbol);
      const group = this.groupOf(t.symbol, t.exchange);
      st = {
        symbol: t.symbol, exchange: t.exchange, vt, topic: Buffer.from(topic), topicText: topic, tickWanted: false, batchWanted: false, wantGen: -1, group, wmDt: -Infinity, wmVol: -Infinity, keys: [], iseq: 0, last: null, lastKey: -1,
        lastWinMono: 0, olderSinceMono: 0, olderFrom: new Set(), freshInRun: false, standbyLast: group.cfg.policy === 'priority' ? new Map() : null,
        pubVolume: -1, pubDay: '', encodeMemo: new TickEncodeMemo(), checkSlot: {}, canary: null, dataState: 'ok', rejectRun: 0, rejectedBy: null, session: undefined,
      };
      bySymbol.set(t.symbol, st);
      this.count++;
    }
    return st;
  }

  /** The state of an instrument, if it exists (never creates one). */
  peek(symbol: string, exchange: string): InstrumentState | undefined {
    return this.byExchange.get(exchange)?.get(symbol);
  }

  get size(): number {
    return this.count;
  }

  *states(): IterableIterator<InstrumentState> {
    for (const m of this.byExchange.values()) yield* m.values();
  }

  /**
   * Offers one cleansed copy from `source`. On 'win' the watermark has advanced and the caller publishes
   * the copy with `st.iseq` (already incremented).
   */
  offer(st: InstrumentState, t: MarketTick, source: string, marketNowMs: number, monoMs: number): Verdict {
    const c = this.counters.get(source) ?? this.addSource(source);
    c.received++;
    if (this.health.get(source) !== true) { c.unhealthy++; return 'unhealthy'; }
    const g = st.group;
    if (g.cfg.policy === 'priority') {
      if (g.feeder === null) g.feeder = this.pickFeeder(g);
      // A standby fills in for the feeder on an instrument whose last copy from the feeder cleansing rejected
      // (a bad tick): its copy of a newer state wins instead of being lost.
      if (g.feeder !== source && !(st.rejectedBy !== null && st.rejectedBy === g.feeder && (g.cfg.sources.length === 0 || g.cfg.sources.includes(source)))) {
        if (g.cfg.sources.length === 0 || g.cfg.sources.includes(source)) st.standbyLast!.set(source, t);
        c.standby++;
        return 'standby';
      }
    } else if (g.cfg.sources.length > 0 && !g.cfg.sources.includes(source)) {
      c.standby++;
      return 'standby';
    }
    if (t.datetime > marketNowMs + this.skewMs) { c.future++; return 'future'; }

    const dt = t.datetime;
    const vol = t.volume;
    if (dt > st.wmDt || (dt === st.wmDt && vol > st.wmVol)) {
      this.advance(st, t, monoMs, stateKey(t));
      c.wins++;
      return 'win';
    }
    if (dt === st.wmDt && vol === st.wmVol) {
      const key = stateKey(t);
      if (key === st.lastKey || st.keys.includes(key)) {
        if (st.olderSinceMono !== 0) st.freshInRun = true;
        c.duplicates++;
        return 'duplicate';
      }
      // Never drop a remembered key: a slow source's copy of an early state must stay a duplicate.
      if (st.keys.length < MAX_KEYS_AT_WATERMARK) st.keys.push(key);
      st.iseq++;
      st.last = t;
      st.lastKey = key;
      st.lastWinMono = monoMs;
      st.olderSinceMono = 0;
      c.wins++;
      return 'win';
    }
    // Older than the watermark: normally a slower source's copy of a state already published.
    if (this.olderRunTooLong(st, source, monoMs)) {
      this.onEvent({ kind: 'watermark_reset', instrument: st.vt, from_datetime: st.wmDt, to_datetime: dt, source });
      this.advance(st, t, monoMs, stateKey(t));
      c.wins++;
      return 'win';
    }
    c.old++;
    return 'old';
  }

  /**
   * The fast path for the commonest copy in a race: another source's copy of the newest published state
   * (same datetime, volume and state key as `st.last`), read from the link record before any tick is
   * built. When it is exactly that, from a healthy source competing in a race group, counts it as `offer`
   * would count the built copy ('duplicate') and returns true; otherwise returns false and the caller
   * builds the copy and offers it.
   */
  duplicateOfLast(st: InstrumentState, source: string, dt: number, vol: number, key: number, marketNowMs: number): boolean {
    if (st.last === null || key !== st.lastKey || dt !== st.wmDt || vol !== st.wmVol) return false;
    if (this.health.get(source) !== true || dt > marketNowMs + this.skewMs) return false;
    const cfg = st.group.cfg;
    // Priority groups keep each standby's latest copy for takeover: those copies take the full path.
    if (cfg.policy !== 'race' || (cfg.sources.length > 0 && !cfg.sources.includes(source))) return false;
    const c = this.counters.get(source) ?? this.addSource(source);
    c.received++;
    c.duplicates++;
    if (st.olderSinceMono !== 0) st.freshInRun = true;
    return true;
  }

  /** Counts a copy that cleansing rejected (it never reaches offer). */
  countRejected(source: string): void {
    const c = this.counters.get(source) ?? this.addSource(source);
    c.received++;
    c.rejected++;
  }

  private advance(st: InstrumentState, t: MarketTick, monoMs: number, key: number): void {
    st.wmDt = t.datetime;
    st.wmVol = t.volume;
    st.keys.length = 0;
    st.keys.push(key);
    st.iseq++;
    st.last = t;
    st.lastKey = key;
    st.lastWinMono = monoMs;
    st.olderSinceMono = 0;
    st.freshInRun = false;
    st.rejectedBy = null;
    if (st.olderFrom.size > 0) st.olderFrom.clear();
  }

  private isNewer(st: InstrumentState, t: MarketTick): boolean {
    if (t.datetime !== st.wmDt) return t.datetime > st.wmDt;
    if (t.volume !== st.wmVol) return t.volume > st.wmVol;
    return !st.keys.includes(stateKey(t));
  }

  /**
   * Whether every source still delivering the instrument has arrived older than its watermark for
   * resetAfterMs: a source that delivers nothing of it (silent, or not subscribed to it) does not block
   * the reset (one bad copy must never silence an instrument); one that delivers the watermark's own
   * state (agrees with it) does.
   */
  private olderRunTooLong(st: InstrumentState, source: string, monoMs: number): boolean {
    if (st.olderSinceMono === 0) {
      st.olderSinceMono = monoMs;
      st.olderFrom.clear();
      st.freshInRun = false;
    }
    st.olderFrom.add(source);
    if (monoMs - st.olderSinceMono < this.resetAfterMs) return false;
    if (monoMs - st.lastWinMono < this.resetAfterMs) return false;
    return !st.freshInRun;
  }

  private pickFeeder(g: GroupRuntime): string | null {
    const order = g.cfg.sources.length > 0 ? g.cfg.sources : this.order;
    for (const id of order) if (this.health.get(id) === true) return id;
    return null;
  }

  private groupOf(symbol: string, exchange: string): GroupRuntime {
    for (const g of this.groups) if (matchesAny(g.patterns, symbol, exchange)) return g;
    return this.groups[this.groups.length - 1]!;
  }

  /** The configured groups (the implicit `default` included) and their feeders. */
  groupInfo(): Array<{ name: string; policy: Policy; feeder: string | null }> {
    return this.groups.map((g) => ({ name: g.cfg.name, policy: g.cfg.policy, feeder: g.feeder }));
  }
}
