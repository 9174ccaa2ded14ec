/**
 * Anomaly injection for the cleansing benchmark: turns a clean copy of a tape snapshot into a labelled
 * bad copy of one anomaly class. Each injector returns null when the class does not apply to the tick
 * (e.g. a crossed book needs both sides), and the caller then leaves the tick clean.
 */
import type { MarketTick } from '@mdhub/protocol';
import type { Rng } from '../packages/gateway-sim/src/rng.js';

/** DBL_MAX, CTP's "absent" marker. */
export const DBL_MAX = 1.7976931348623157e308;

/** Anomaly classes of point 3 of the issue. */
export const ANOMALY_CLASSES = [
  'non_finite',
  'non_positive_price',
  'outside_limits',
  'crossed_book',
  'negative_volume',
  'volume_decrease',
  'turnover_decrease',
  'turnover_mismatch',
  'price_jump',
  'outside_session',
  'clock_skew',
  'stale_replay',
  'wrong_trading_day',
  'unknown_instrument',
] as const;

/** An anomaly class. */
export type AnomalyClass = (typeof ANOMALY_CLASSES)[number];

/** What an injector may look at besides the tick. */
export interface InjectContext {
  rng: Rng;
  priceTick: number;
  /** The simulator's per-trade standard deviation of this instrument, in ticks. */
  volTicks: number;
  czce: boolean;
  /** The previous clean tick of this instrument (same source), if any. */
  prev: MarketTick | undefined;
  /** A clean tick of this instrument 2–120 s older, if any. */
  old: MarketTick | undefined;
  /** Shanghai ms-of-day break windows of this instrument's session: [from, to) offsets from the tick's calendar day 00:00. */
  breakAt: (t: MarketTick, rng: Rng) => number | null;
  /** The previous and next trading days of the tick's trading day. */
  prevDay: string;
  nextDay: string;
}

function roundTo(p: number, tick: number): number {
  return Math.round(p / tick) * tick;
}

const PRICE_FIELDS_FOR_GARBAGE = ['last_price', 'bid_price_1', 'ask_price_1', 'high_price', 'low_price', 'average_price', 'open_price'] as const;

/** Applies one anomaly class to `t` (a fresh copy, mutated). Returns false when it does not apply. */
export function inject(cls: AnomalyClass, t: MarketTick, c: InjectContext): boolean {
  const r = c.rng;
  const tick = c.priceTick;
  switch (cls) {
    case 'non_finite': {
      const f = r.chance(0.5) ? 'last_price' : r.pick(PRICE_FIELDS_FOR_GARBAGE);
      t[f] = r.pick([DBL_MAX, Number.NaN, Number.POSITIVE_INFINITY, -DBL_MAX]);
      return true;
    }
    case 'non_positive_price': {
      const opts: (() => boolean)[] = [];
      if (t.volume > 0 && t.last_price > 0) opts.push(() => { t.last_price = r.chance(0.5) ? 0 : -t.last_price; return true; });
      if (t.bid_volume_1 > 0) opts.push(() => { t.bid_price_1 = r.chance(0.5) ? 0 : -t.bid_price_1; return true; });
      if (t.ask_volume_1 > 0) opts.push(() => { t.ask_price_1 = r.chance(0.5) ? 0 : -t.ask_price_1; return true; });
      return opts.length > 0 && r.pick(opts)();
    }
    case 'outside_limits': {
      if (!(t.limit_up > 0) || !(t.limit_down > 0)) return false;
      const k = r.int(1, 30) * tick;
      const up = r.chance(0.5);
      const v = up ? t.limit_up + k : t.limit_down - k;
      if (!(v > 0)) return false;
      const f = r.pick(['last_price', 'bid_price_1', 'ask_price_1'] as const);
      if (f === 'last_price' && !(t.volume > 0)) return false;
      t[f] = roundTo(v, tick);
      if (f === 'bid_price_1' && t.bid_volume_1 <= 0) t.bid_volume_1 = r.int(1, 20);
      if (f === 'ask_price_1' && t.ask_volume_1 <= 0) t.ask_volume_1 = r.int(1, 20);
      return true;
    }
    case 'crossed_book': {
      if (!(t.bid_price_1 > 0) || !(t.ask_price_1 > 0)) return false;
      if (r.chance(0.5)) t.bid_price_1 = t.ask_price_1 + r.int(0, 5) * tick;
      else t.ask_price_1 = Math.max(tick, t.bid_price_1 - r.int(0, 5) * tick);
      return true;
    }
    case 'negative_volume': {
      const f = r.pick(['volume', 'bid_volume_1', 'ask_volume_1', 'last_volume', 'open_interest', 'turnover'] as const);
      t[f] = t[f] > 0 ? -t[f] : -r.int(1, 100);
      return true;
    }
    case 'volume_decrease': {
      const p = c.prev;
      if (!p || p.trading_day !== t.trading_day || !(p.volume > 1)) return false;
      const drop = Math.max(1, Math.round(p.volume * r.range(0.001, 0.5)));
      const nv = p.volume - drop;
      if (r.chance(0.5)) t.turnover = (t.turnover * nv) / Math.max(t.volume, 1); // turnover scaled along
      t.volume = nv;
      return true;
    }
    case 'turnover_decrease': {
      const p = c.prev;
      if (c.czce || !p || p.trading_day !== t.trading_day || !(p.turnover > 0)) return false;
      t.turnover = p.turnover * r.range(0.5, 0.999);
      return true;
    }
    case 'turnover_mismatch': {
      if (!(t.volume > 0) || !(t.turnover > 0)) return false;
      t.turnover *= r.chance(0.5) ? r.range(1.05, 3) : r.pick([10, 0.1, 1000]);
      return true;
    }
    case 'price_jump': {
      if (!(t.last_price > 0) || !(t.volume > 0)) return false;
      const p = t.last_price;
      // 3–10 % of the price, at least 20 ticks and at least 15× the instrument's per-trade move (far
      // beyond its normal move), kept inside the limits (a jump, not a limit breach); the other
      // direction when the limit leaves less than 20 ticks of room.
      const mag = Math.max(p * r.range(0.03, 0.1), r.int(20, 100) * tick, roundTo(r.range(15, 40) * c.volTicks * tick, tick));
      const clampL = (x: number): number => (t.limit_up > 0 && t.limit_down > 0 ? Math.min(Math.max(x, t.limit_down), t.limit_up) : x);
      const up = r.chance(0.5);
      let v = clampL(roundTo(up ? p + mag : p - mag, tick));
      const minMove = Math.max(20, 12 * c.volTicks) * tick; // still far beyond normal after clamping
      if (!(v > 0) || Math.abs(v - p) < minMove) v = clampL(roundTo(up ? p - mag : p + mag, tick));
      if (!(v > 0) || Math.abs(v - p) < minMove) return false;
      t.last_price = v;
      // Half of them also stretch the day's high / low to the bad price (a corruption that stays
      // consistent with the OHLC fields), so only the jump rule can see it.
      if (r.chance(0.5)) {
        if (v > t.high_price) t.high_price = v;
        if (v < t.low_price) t.low_price = v;
      }
      return true;
    }
    case 'outside_session': {
      const at = c.breakAt(t, r);
      if (at === null) return false;
      t.datetime = at;
      t.localtime = at + r.int(1, 30);
      return true;
    }
    case 'clock_skew': {
      const d = r.int(2 * 60_000, 6 * 3_600_000);
      t.datetime += r.chance(0.5) ? d : -d;
      return true;
    }
    case 'stale_replay': {
      const o = c.old;
      // an older state than the one the source delivered last (a plain repeat of the last state is a duplicate)
      const last = c.prev;
      if (!o || !last || o.trading_day !== t.trading_day || o.datetime > last.datetime - 2_000) return false;
      const lt = t.localtime;
      Object.assign(t, o);
      t.localtime = lt;
      return true;
    }
    case 'wrong_trading_day': {
      t.trading_day = r.pick([c.prevDay, c.nextDay, `${t.trading_day.slice(0, 6)}00`, '']);
      return true;
    }
    case 'unknown_instrument': {
      const s = t.symbol;
      const forms = [
        s.toUpperCase() === s ? s.toLowerCase() : s.toUpperCase(),
        `${s}X`,
        s.replace(/\d+/, '99999'),
        'XX2601',
      ];
      const f = r.pick(forms);
      if (f === s) return false;
      t.symbol = f;
      if (r.chance(0.2)) t.exchange = t.exchange === 'CZCE' ? 'SHFE' : 'CZCE';
      return true;
    }
  }
}
