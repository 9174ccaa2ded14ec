/**
 * What the data plane sees of each source's data, for health and source quality: the canaries' data
 * heartbeat (how far each source is behind the newest state any source delivered of a canary contract),
 * when each source last delivered anything, and a sliding window of quality figures per source (lag
 * behind the race winner, win share, clock offset). It only observes: the control plane's health
 * monitor decides what a source's health is and whether it feeds.
 */
import type { Exchange, MarketTick } from '@mdhub/protocol';
import { productOfSymbol } from '../market/products.js';
import type { InstrumentState } from './arbiter.js';

/** A canary product of a group as configured: `PRODUCT.EXCHANGE` (`rb.SHFE`). */
export interface CanaryGroup {
  group: string;
  canaries: string[];
}

/** Recent global states of a canary contract remembered for "how long has a source been missing it". */
const RING = 64;

/** One canary product of one group and the contract it resolved to for the trading day. */
export interface CanaryTrack {
  readonly group: string;
  /** `rb.SHFE` as configured. */
  readonly product: string;
  readonly code: string;
  readonly exchange: Exchange;
  st: InstrumentState | null;
  /** Trading day of the resolution ('' before the first). */
  day: string;
  /** Newest (datetime, volume) any source delivered (accepted copies only), and the ring of recent ones with when each was first seen. */
  newestDt: number;
  newestVol: number;
  ringDt: Float64Array;
  ringVol: Float64Array;
  ringSeen: Float64Array;
  ringLen: number;
  ringHead: number;
  /** Per source: newest (datetime, volume) it delivered and when it last delivered a copy (monotonic ms). */
  readonly bySource: Map<string, { dt: number; vol: number; lastMono: number }>;
}

/** Upper bounds of the lag histogram's buckets, ms (the last bucket is everything above). */
export const LAG_BOUNDS = [0.5, 1, 2, 3, 5, 7.5, 10, 15, 20, 30, 50, 75, 100, 150, 200, 300, 500, 750, 1000, 2000, 5000, 10_000] as const;
/** Upper bounds of the clock-offset histogram (localtime − datetime), ms. */
export const OFFSET_BOUNDS = [-10_000, -5000, -2000, -1000, -500, -200, -100, -50, -20, -10, -5, -2, 0, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10_000] as const;

/** Window slots of the quality figures: 6 × 10 s (the last minute). */
const SLOT_MS = 10_000;
const SLOTS = 6;

export interface QualitySlot {
  start: number;
  lag: Uint32Array;
  offset: Uint32Array;
  wins: number;
  copies: number;
}

/** A source's quality over the window. Percentiles are bucket upper bounds (see LAG_BOUNDS). */
export interface SourceQuality {
  /** Copies judged against the newest state (wins and duplicates) in the window. */
  copies: number;
  wins: number;
  /** This source's wins ÷ every source's wins in the window (0 when nothing was won). */
  win_share: number;
  lag_p50_ms: number | null;
  lag_p99_ms: number | null;
  /** localtime − datetime (the source's receive clock against the exchange's stamp), p50 and p99. */
  clock_offset_p50_ms: number | null;
  clock_offset_p99_ms: number | null;
}

/** A canary as the health report shows it: which contract, and each source's age and lag on it. */
export interface CanaryView {
  group: string;
  product: string;
  instrument: string | null;
  /** Since the last copy of the canary from any source, ms (null: never). */
  silent_ms: number | null;
  sources: Record<string, { age_ms: number; behind_ms: number }>;
}

/** What the data plane reports of one source, for the health monitor. */
export interface SourceWatchReport {
  /** Largest lag behind the newest canary state any source delivered, over the source's canaries, ms. */
  behind_ms: number;
  /** The canary that lag is on (vt_symbol), or null. */
  canary: string | null;
  /** Exchanges the source has delivered in this run. */
  exchanges: string[];
  /** Since the source last delivered any copy, ms (null: never in this run). */
  data_age_ms: number | null;
}

export interface WatchReport {
  sources: Record<string, SourceWatchReport>;
  /** Per group: since any source last delivered any of its canaries, ms (null: no canary resolved or none seen). */
  groups: Record<string, { canary_silent_ms: number | null; canaries: string[] }>;
  /** Each source's quality over the last minute (added when the report is sent). */
  quality?: Record<string, SourceQuality>;
}

const bucket = (bounds: readonly number[], v: number): number => {
  let i = 0;
  while (i < bounds.length && v > bounds[i]!) i++;
  return i;
};

/**
 * Bucket lookup tables for the hot path (one array read instead of a search): lags by half millisecond up
 * to 1 s (every lag bound is a multiple of 0.5 ms, so `v ≤ bound` is `ceil(2v) ≤ 2·bound`), offsets by
 * millisecond within ±10 s (integer bounds: `v ≤ bound` is `ceil(v) ≤ bound`). Beyond them, the search.
 */
const LAG_TABLE = Uint8Array.from({ length: 2001 }, (_, k) => bucket(LAG_BOUNDS, k / 2));
const OFFSET_TABLE = Uint8Array.from({ length: 20_001 }, (_, k) => bucket(OFFSET_BOUNDS, k - 10_000));
const lagBucket = (v: number): number => (v >= 0 && v <= 1000 ? LAG_TABLE[Math.ceil(v * 2)]! : bucket(LAG_BOUNDS, v));
const offsetBucket = (v: number): number => (v >= -10_000 && v <= 10_000 ? OFFSET_TABLE[Math.ceil(v) + 10_000]! : bucket(OFFSET_BOUNDS, v));
/** @internal for tests: the tables against the search. */
export const BUCKETS = { lag: lagBucket, offset: offsetBucket, search: bucket };

function percentile(counts: Uint32Array, bounds: readonly number[], q: number): number | null {
  let total = 0;
  for (const c of counts) total += c;
  if (total === 0) return null;
  const want = Math.max(1, Math.ceil(total * q));
  let acc = 0;
  for (let i = 0; i < counts.length; i++) {
    acc += counts[i]!;
    if (acc >= want) return i < bounds.length ? bounds[i]! : Infinity;
  }
  return null;
}

class Quality {
  private readonly slots: QualitySlot[] = [];
  constructor(now: number) {
    this.slots.push(Quality.slot(now));
  }
  private static slot(start: number): QualitySlot {
    return { start, lag: new Uint32Array(LAG_BOUNDS.length + 1), offset: new Uint32Array(OFFSET_BOUNDS.length + 1), wins: 0, copies: 0 };
  }
  current(now: number): QualitySlot {
    let s = this.slots[this.slots.length - 1]!;
    if (now - s.start >= SLOT_MS) {
      s = Quality.slot(now - ((now - s.start) % SLOT_MS));
      this.slots.push(s);
      if (this.slots.length > SLOTS) this.slots.shift();
    }
    return s;
  }
  window(now: number): { lag: Uint32Array; offset: Uint32Array; wins: number; copies: number } {
    const lag = new Uint32Array(LAG_BOUNDS.length + 1);
    const offset = new Uint32Array(OFFSET_BOUNDS.length + 1);
    let wins = 0;
    let copies = 0;
    for (const s of this.slots) {
      if (now - s.start >= SLOT_MS * SLOTS) continue;
      for (let i = 0; i < lag.length; i++) lag[i]! += s.lag[i]!;
      for (let i = 0; i < offset.length; i++) offset[i]! += s.offset[i]!;
      wins += s.wins;
      copies += s.copies;
    }
    return { lag, offset, wins, copies };
  }
}

/**
 * The data plane's watch over its sources. The hot path calls {@link copy} for each accepted copy of a
 * canary contract (instruments carry their track in `st.canary`) and {@link judged} for each copy the
 * arbiter judged against the newest state; everything else runs on the watch's own timer.
 */
export class SourceWatch {
  private tracks: CanaryTrack[] = [];
  private readonly quality = new Map<string, Quality>();
  private readonly lastData = new Map<string, number>();

  /** Configures the canary products per group (a new configuration resolves them afresh). */
  configure(groups: readonly CanaryGroup[], states: Iterable<InstrumentState>): void {
    for (const t of this.tracks) if (t.st) t.st.canary = null;
    this.tracks = [];
    for (const g of groups) {
      for (const c of g.canaries) {
        const dot = c.lastIndexOf('.');
        if (dot <= 0) continue;
        this.tracks.push({
          group: g.group, product: c, code: c.slice(0, dot), exchange: c.slice(dot + 1) as Exchange, st: null, day: '',
          newestDt: -Infinity, newestVol: -Infinity, ringDt: new Float64Array(RING), ringVol: new Float64Array(RING), ringSeen: new Float64Array(RING),
          ringLen: 0, ringHead: 0, bySource: new Map(),
        });
      }
    }
    this.resolve(states);
  }

  /**
   * Resolves each unresolved canary (and each whose trading day has passed) to its contract: among the
   * group's contracts of that product with a published state, the highest previous-day open interest,
   * then the nearest expiry. Returns the tracks that changed.
   */
  resolve(states: Iterable<InstrumentState>): CanaryTrack[] {
    const open = this.tracks.filter((t) => t.st === null || (t.st.last !== null && t.st.last.trading_day !== t.day));
    if (open.length === 0) return [];
    const best = new Map<CanaryTrack, InstrumentState>();
    for (const st of states) {
      const last = st.last;
      if (last === null) continue;
      for (const t of open) {
        if (st.exchange !== t.exchange || st.group.cfg.name !== t.group) continue;
        const p = productOfSymbol(st.symbol, st.exchange as Exchange);
        if (p?.kind !== 'future' || p.product !== t.code) continue;
        const cur = best.get(t);
        if (!cur || better(last, st.symbol, cur.last!, cur.symbol)) best.set(t, st);
      }
    }
    const changed: CanaryTrack[] = [];
    for (const t of open) {
      const st = best.get(t);
      if (!st) continue;
      const day = st.last!.trading_day;
      if (t.st === st && t.day === day) continue;
      if (t.st && t.st !== st) t.st.canary = null;
      t.st = st;
      t.day = day;
      st.canary = t;
      t.newestDt = -Infinity;
      t.newestVol = -Infinity;
      t.ringLen = 0;
      t.bySource.clear();
      changed.push(t);
    }
    return changed;
  }

  /** An accepted copy of a canary contract from `source` (hot path). */
  copy(t: CanaryTrack, source: string, dt: number, vol: number, mono: number): void {
    let s = t.bySource.get(source);
    if (!s) t.bySource.set(source, (s = { dt: -Infinity, vol: -Infinity, lastMono: mono }));
    s.lastMono = mono;
    if (dt > s.dt || (dt === s.dt && vol > s.vol)) {
      s.dt = dt;
      s.vol = vol;
    }
    if (dt > t.newestDt || (dt === t.newestDt && vol > t.newestVol)) {
      t.newestDt = dt;
      t.newestVol = vol;
      const i = (t.ringHead + t.ringLen) % RING;
      t.ringDt[i] = dt;
      t.ringVol[i] = vol;
      t.ringSeen[i] = mono;
      if (t.ringLen < RING) t.ringLen++;
      else t.ringHead = (t.ringHead + 1) % RING;
    }
  }

  /** Any copy from `source` arrived (the source delivers data). */
  data(source: string, mono: number): void {
    this.lastData.set(source, mono);
  }

  /** Exchanges each source has delivered in this run (what it covers: the hold-down asks who else covers them). */
  private readonly covered = new Map<string, Set<string>>();

  /** The set a source's exchanges are added to (the hot path adds an instrument's exchange when it changes within a batch). */
  exchanges(source: string): Set<string> {
    let s = this.covered.get(source);
    if (!s) this.covered.set(source, (s = new Set()));
    return s;
  }

  /**
   * A copy the arbiter judged against the newest published state: `lagMs` behind the winning copy (0 for
   * the win itself), and the source's clock offset (localtime − datetime) when known.
   */
  judged(source: string, win: boolean, lagMs: number, offsetMs: number | null, mono: number): void {
    SourceWatch.count(this.slot(source, mono), win, lagMs, offsetMs);
  }

  /** The quality slot `source`'s copies count in now (the hot path takes it once per batch: one source). */
  slot(source: string, mono: number): QualitySlot {
    let q = this.quality.get(source);
    if (!q) this.quality.set(source, (q = new Quality(mono)));
    return q.current(mono);
  }

  /** Counts one judged copy in a slot (see {@link judged}). */
  static count(s: QualitySlot, win: boolean, lagMs: number, offsetMs: number | null): void {
    s.copies++;
    if (win) s.wins++;
    s.lag[lagBucket(lagMs)]!++;
    if (offsetMs !== null) s.offset[offsetBucket(offsetMs)]!++;
  }

  /** How far `source` is behind the newest state of `t` any source delivered, ms (0: it has it). */
  behind(t: CanaryTrack, source: string, mono: number): number {
    const s = t.bySource.get(source);
    if (t.ringLen === 0) return 0;
    const dt = s?.dt ?? -Infinity;
    const vol = s?.vol ?? -Infinity;
    if (dt > t.newestDt || (dt === t.newestDt && vol >= t.newestVol)) return 0;
    // The oldest remembered state newer than the source's newest: it has been out there that long.
    for (let k = 0; k < t.ringLen; k++) {
      const i = (t.ringHead + k) % RING;
      if (t.ringDt[i]! > dt || (t.ringDt[i] === dt && t.ringVol[i]! > vol)) return mono - t.ringSeen[i]!;
    }
    return 0;
  }

  /**
   * The report for the health monitor: each known source's worst lag over its groups' canaries (only
   * canaries it has delivered at least once in this run are judged: a source that never subscribed to a
   * contract is not behind on it), and each group's canary silence.
   */
  report(sources: Iterable<string>, groupsOf: (source: string) => readonly string[], mono: number): WatchReport {
    const out: WatchReport = { sources: {}, groups: {} };
    for (const t of this.tracks) {
      const g = (out.groups[t.group] ??= { canary_silent_ms: null, canaries: [] });
      if (t.st) g.canaries.push(t.st.vt);
      let newest = -Infinity;
      for (const s of t.bySource.values()) newest = Math.max(newest, s.lastMono);
      if (newest > -Infinity) g.canary_silent_ms = g.canary_silent_ms === null ? mono - newest : Math.min(g.canary_silent_ms, mono - newest);
    }
    for (const id of sources) {
      const groups = groupsOf(id);
      let worst = 0;
      let canary: string | null = null;
      for (const t of this.tracks) {
        if (!t.st || !t.bySource.has(id) || !groups.includes(t.group)) continue;
        const b = this.behind(t, id, mono);
        if (b > worst) {
          worst = b;
          canary = t.st.vt;
        }
      }
      const last = this.lastData.get(id);
      out.sources[id] = { behind_ms: Math.round(worst), canary, data_age_ms: last === undefined ? null : Math.round(mono - last), exchanges: [...(this.covered.get(id) ?? [])] };
    }
    return out;
  }

  /** The canaries with each source's age and lag (the health report and the dashboard). */
  canaries(mono: number): CanaryView[] {
    return this.tracks.map((t) => {
      let newest = -Infinity;
      const sources: CanaryView['sources'] = {};
      for (const [id, s] of t.bySource) {
        newest = Math.max(newest, s.lastMono);
        sources[id] = { age_ms: Math.round(mono - s.lastMono), behind_ms: Math.round(this.behind(t, id, mono)) };
      }
      return { group: t.group, product: t.product, instrument: t.st?.vt ?? null, silent_ms: newest > -Infinity ? Math.round(mono - newest) : null, sources };
    });
  }

  /**
   * A source's process restarted: what it delivered before is forgotten, so the new process is judged on
   * its canaries from its first copy of each (until then only "no data" can find it silent).
   */
  forgetSource(source: string): void {
    for (const t of this.tracks) t.bySource.delete(source);
    this.lastData.delete(source);
  }

  /** Every source's quality over the last minute. */
  qualities(mono: number): Record<string, SourceQuality> {
    const windows = new Map([...this.quality].map(([id, q]) => [id, q.window(mono)]));
    let allWins = 0;
    for (const w of windows.values()) allWins += w.wins;
    const out: Record<string, SourceQuality> = {};
    for (const [id, w] of windows) {
      out[id] = {
        copies: w.copies, wins: w.wins, win_share: allWins > 0 ? w.wins / allWins : 0,
        lag_p50_ms: percentile(w.lag, LAG_BOUNDS, 0.5), lag_p99_ms: percentile(w.lag, LAG_BOUNDS, 0.99),
        clock_offset_p50_ms: percentile(w.offset, OFFSET_BOUNDS, 0.5), clock_offset_p99_ms: percentile(w.offset, OFFSET_BOUNDS, 0.99),
      };
    }
    return out;
  }
}

/** Whether contract `a` is a better canary than `b`: higher previous-day open interest, then the nearer expiry. */
function better(a: MarketTick, aSym: string, b: MarketTick, bSym: string): boolean {
  const ao = a.pre_open_interest ?? 0;
  const bo = b.pre_open_interest ?? 0;
  if (ao !== bo) return ao > bo;
  return aSym < bSym;
}

/** Upper bounds of the hub-latency histogram (gateway receive → hub publish), µs. */
export const LATENCY_BOUNDS_US = [50, 100, 150, 200, 300, 400, 500, 750, 1000, 1500, 2000, 3000, 4000, 5000, 7500, 10_000, 20_000, 50_000, 100_000, 500_000, 1_000_000] as const;
/** Lookup by 50 µs up to 10 ms (every bound up to there is a multiple of 50 µs). */
const LATENCY_TABLE = Uint8Array.from({ length: 201 }, (_, k) => bucket(LATENCY_BOUNDS_US, k * 50));

/** The hub's own latency over the last minute: published ticks' hub_pub_ts − gw_recv_ts (one machine's clock). */
export interface PublishLatency {
  count: number;
  p50_us: number | null;
  p99_us: number | null;
}

/**
 * Each published tick's latency from the gateway process receiving it to the hub publishing it, in 6 × 10 s
 * slots. One table read per tick on the hot path ({@link add}); percentiles are bucket upper bounds.
 */
export class LatencyWindow {
  private readonly slots: Array<{ start: number; counts: Uint32Array }> = [];

  add(latencyUs: number, nowMs: number): void {
    let s = this.slots[this.slots.length - 1];
    if (!s || nowMs - s.start >= SLOT_MS) {
      s = { start: s ? nowMs - ((nowMs - s.start) % SLOT_MS) : nowMs, counts: new Uint32Array(LATENCY_BOUNDS_US.length + 1) };
      this.slots.push(s);
      if (this.slots.length > SLOTS) this.slots.shift();
    }
    s.counts[latencyUs >= 0 && latencyUs <= 10_000 ? LATENCY_TABLE[Math.ceil(latencyUs / 50)]! : bucket(LATENCY_BOUNDS_US, latencyUs)]!++;
  }

  read(nowMs: number): PublishLatency {
    const counts = new Uint32Array(LATENCY_BOUNDS_US.length + 1);
    let count = 0;
    for (const s of this.slots) {
      if (nowMs - s.start >= SLOT_MS * SLOTS) continue;
      for (let i = 0; i < counts.length; i++) {
        counts[i]! += s.counts[i]!;
        count += s.counts[i]!;
      }
    }
    return { count, p50_us: percentile(counts, LATENCY_BOUNDS_US, 0.5), p99_us: percentile(counts, LATENCY_BOUNDS_US, 0.99) };
  }
}

/** The stages of a tick's way through the hub that `/metrics` shows as histograms. */
export const LATENCY_STAGES = ['link', 'dataplane', 'total'] as const;
export type LatencyStage = (typeof LATENCY_STAGES)[number];

/** One stage's histogram since the hub started: counts per bucket of {@link LATENCY_BOUNDS_US} (the last is +Inf), not cumulative. */
export interface StageHistogram {
  counts: number[];
  sum_us: number;
  count: number;
}

/**
 * Each published tick's latency by stage, since the hub started (Prometheus histograms are cumulative):
 * `link` gateway process hands it over → the data plane takes it off the link (gw_recv_ts → hub_recv_ts),
 * `dataplane` → published (hub_recv_ts → hub_pub_ts), `total` both (gw_recv_ts → hub_pub_ts). One clock:
 * the hub host's. A negative figure (a gateway stamp a hair ahead of the data plane's clock) counts as 0.
 */
export class StageLatency {
  private readonly counts = LATENCY_STAGES.map(() => new Float64Array(LATENCY_BOUNDS_US.length + 1));
  private readonly sums = new Float64Array(LATENCY_STAGES.length);

  add(gwUs: number, recvUs: number, pubUs: number): void {
    this.one(0, recvUs - gwUs);
    this.one(1, pubUs - recvUs);
    this.one(2, pubUs - gwUs);
  }

  private one(stage: number, us: number): void {
    const v = us > 0 ? us : 0;
    this.counts[stage]![v <= 10_000 ? LATENCY_TABLE[Math.ceil(v / 50)]! : bucket(LATENCY_BOUNDS_US, v)]!++;
    this.sums[stage]! += v;
  }

  read(): Record<LatencyStage, StageHistogram> {
    const out = {} as Record<LatencyStage, StageHistogram>;
    LATENCY_STAGES.forEach((name, i) => {
      const counts = Array.from(this.counts[i]!);
      out[name] = { counts, sum_us: this.sums[i]!, count: counts.reduce((a, b) => a + b, 0) };
    });
    return out;
  }
}
