/**
 * The built-in rules. Each is a named check over (tick, this source's state, the instrument record)
 * that returns null (pass) or a reason string (reject). They run in the order of BUILTIN_RULES; the
 * first rejection wins and is counted under that rule. No rule allocates on the pass path.
 */
import type { MarketTick } from '@mdhub/protocol';
import { BUILTIN_RULES } from './config.js';
import type { BuiltinRuleName, CleansingThresholds } from './config.js';
import type { CleansingMarket } from './types.js';
import { findWindow, windowsOf } from './state.js';
import type { InstrumentRecord, SourceState } from './state.js';

/** Everything a built-in rule reads. */
export interface RuleEnv {
  readonly market: CleansingMarket;
}

/** A built-in rule. */
export interface BuiltinRule {
  readonly name: BuiltinRuleName;
  check(t: MarketTick, s: SourceState, r: InstrumentRecord, th: CleansingThresholds, env: RuleEnv): string | null;
}

/** The exchanges' snapshot cadence (2 per second), ms: the shortest horizon of price_jump. */
const SNAPSHOT_MS = 500;

/** Anything at or above this is a vendor sentinel (DBL_MAX = 1.7976931348623157e308) or garbage. */
const SENTINEL = 1e300;

function fmt(n: number): string {
  return Number.isFinite(n) ? String(n) : n > 0 ? 'Infinity' : n < 0 ? '-Infinity' : 'NaN';
}

const NUMERIC_FIELDS = [
  'datetime', 'localtime', 'volume', 'turnover', 'open_interest', 'last_price', 'last_volume', 'limit_up', 'limit_down',
  'open_price', 'high_price', 'low_price', 'pre_close', 'pre_settlement', 'settlement', 'average_price', 'pre_open_interest',
  'bid_price_1', 'bid_price_2', 'bid_price_3', 'bid_price_4', 'bid_price_5',
  'ask_price_1', 'ask_price_2', 'ask_price_3', 'ask_price_4', 'ask_price_5',
  'bid_volume_1', 'bid_volume_2', 'bid_volume_3', 'bid_volume_4', 'bid_volume_5',
  'ask_volume_1', 'ask_volume_2', 'ask_volume_3', 'ask_volume_4', 'ask_volume_5',
] as const satisfies readonly (keyof MarketTick)[];

/** Slow path: names the first non-finite / sentinel numeric field. */
function badNumber(t: MarketTick): string {
  for (const f of NUMERIC_FIELDS) {
    const v = t[f];
    if (typeof v !== 'number' || !(Math.abs(v) < SENTINEL)) return `${f} is ${typeof v === 'number' ? fmt(v) : typeof v}`;
  }
  return 'a numeric field is not finite';
}

const nonFinite: BuiltinRule = {
  name: 'non_finite',
  check(t) {
    // One sum over every numeric field: NaN / ±Infinity / DBL_MAX anywhere makes it non-finite or huge.
    const sum = t.datetime + t.localtime + t.volume + t.turnover + t.open_interest + t.last_price + t.last_volume
      + t.limit_up + t.limit_down + t.open_price + t.high_price + t.low_price + t.pre_close + t.pre_settlement
      + t.settlement + t.average_price + t.pre_open_interest
      + t.bid_price_1 + t.bid_price_2 + t.bid_price_3 + t.bid_price_4 + t.bid_price_5
      + t.ask_price_1 + t.ask_price_2 + t.ask_price_3 + t.ask_price_4 + t.ask_price_5
      + t.bid_volume_1 + t.bid_volume_2 + t.bid_volume_3 + t.bid_volume_4 + t.bid_volume_5
      + t.ask_volume_1 + t.ask_volume_2 + t.ask_volume_3 + t.ask_volume_4 + t.ask_volume_5;
    if (Math.abs(sum) < SENTINEL && typeof t.trading_day === 'string') return null;
    if (typeof t.trading_day !== 'string') return 'trading_day is not a string';
    return badNumber(t);
  },
};

const negativeVolume: BuiltinRule = {
  name: 'negative_volume',
  check(t) {
    if (t.volume >= 0 && t.turnover >= 0 && t.open_interest >= 0 && t.last_volume >= 0
      && t.bid_volume_1 >= 0 && t.bid_volume_2 >= 0 && t.bid_volume_3 >= 0 && t.bid_volume_4 >= 0 && t.bid_volume_5 >= 0
      && t.ask_volume_1 >= 0 && t.ask_volume_2 >= 0 && t.ask_volume_3 >= 0 && t.ask_volume_4 >= 0 && t.ask_volume_5 >= 0) {
      return null;
    }
    for (const f of ['volume', 'turnover', 'open_interest', 'last_volume', 'bid_volume_1', 'bid_volume_2', 'bid_volume_3',
      'bid_volume_4', 'bid_volume_5', 'ask_volume_1', 'ask_volume_2', 'ask_volume_3', 'ask_volume_4', 'ask_volume_5'] as const) {
      if (t[f] < 0) return `${f} ${t[f]} < 0`;
    }
    return 'negative volume';
  },
};

const nonPositivePrice: BuiltinRule = {
  name: 'non_positive_price',
  check(t) {
    if (t.volume > 0 && !(t.last_price > 0)) return `last_price ${t.last_price} with volume ${t.volume}`;
    if (t.bid_volume_1 > 0 && !(t.bid_price_1 > 0)) return `bid_price_1 ${t.bid_price_1} with bid_volume_1 ${t.bid_volume_1}`;
    if (t.ask_volume_1 > 0 && !(t.ask_price_1 > 0)) return `ask_price_1 ${t.ask_price_1} with ask_volume_1 ${t.ask_volume_1}`;
    if (t.last_price < 0 || t.limit_up < 0 || t.limit_down < 0 || t.open_price < 0 || t.high_price < 0 || t.low_price < 0
      || t.pre_close < 0 || t.pre_settlement < 0 || t.settlement < 0 || t.average_price < 0
      || t.bid_price_1 < 0 || t.bid_price_2 < 0 || t.bid_price_3 < 0 || t.bid_price_4 < 0 || t.bid_price_5 < 0
      || t.ask_price_1 < 0 || t.ask_price_2 < 0 || t.ask_price_3 < 0 || t.ask_price_4 < 0 || t.ask_price_5 < 0) {
      return 'a price field is negative';
    }
    return null;
  },
};

const clockSkew: BuiltinRule = {
  name: 'clock_skew',
  check(t, _s, r, th, env) {
    const lag = t.localtime - t.datetime;
    if (lag < -th.maxAheadMs) return `datetime ${-lag} ms ahead of the hub clock (max ${th.maxAheadMs})`;
    if (lag <= th.maxLagMs) return null;
    // A snapshot stamped at / just after a segment end (settlement snapshot) may arrive late.
    if (lag <= th.closeSnapshotLagMs) {
      const w = windowsOf(env.market, r, t.trading_day);
      const i = findWindow(w, t.datetime);
      if (i >= 0 && t.datetime >= w[i + 2]!) return null;
    }
    return `datetime ${lag} ms behind the hub clock (max ${th.maxLagMs})`;
  },
};

const wrongTradingDay: BuiltinRule = {
  name: 'wrong_trading_day',
  check(t, _s, r, _th, env) {
    if (r.inWindow) return null;
    const actual = env.market.tradingDayAt(r.info.session, t.datetime);
    if (actual === null || actual === t.trading_day) return null; // outside_session decides
    if (findWindow(windowsOf(env.market, r, actual), t.datetime) < 0) return null;
    return `trading_day ${t.trading_day} but datetime belongs to ${actual}`;
  },
};

const outsideSession: BuiltinRule = {
  name: 'outside_session',
  check(t, _s, r, _th, env) {
    if (r.inWindow) return null;
    return `datetime ${new Date(t.datetime + 8 * 3600_000).toISOString().slice(0, 23)}+08:00 outside the ${r.info.session} sessions of ${t.trading_day}`;
  },
};

function peersAgreeOnTime(t: MarketTick, s: SourceState, th: CleansingThresholds): boolean {
  const peers = s.peers;
  for (let i = 0; i < peers.length; i++) {
    const p = peers[i]!;
    if (p === s || p.count === 0 || p.tradingDay !== t.trading_day) continue;
    // The peer accepted something after our last accept, and its market time is this tick's:
    // our watermark is the outlier.
    if (p.localtime >= s.localtime && p.watermark <= t.datetime + th.staleMs && p.watermark >= t.datetime - th.staleMs) return true;
  }
  return false;
}

const staleReplay: BuiltinRule = {
  name: 'stale_replay',
  check(t, s, _r, th) {
    if (s.count === 0 || t.localtime - s.localtime > th.staleActiveMs) return null;
    let reason: string | null = null;
    if (t.trading_day < s.tradingDay) reason = `trading_day ${t.trading_day} before the accepted ${s.tradingDay}`;
    else if (t.trading_day === s.tradingDay && t.datetime < s.watermark - th.staleMs) {
      reason = `datetime ${s.watermark - t.datetime} ms older than the accepted watermark`;
    }
    if (reason === null) {
      s.staleStreak = 0;
      return null;
    }
    if (t.trading_day === s.tradingDay && peersAgreeOnTime(t, s, th)) return null;
    s.staleStreak = s.staleStreak > 0 && t.datetime >= s.staleCand ? s.staleStreak + 1 : 1;
    s.staleCand = t.datetime;
    if (s.staleStreak >= th.monotonicReanchorTicks) {
      s.watermark = t.datetime; // re-anchor: our watermark was the outlier
      return null;
    }
    return reason;
  },
};

const outsideLimits: BuiltinRule = {
  name: 'outside_limits',
  check(t, _s, r) {
    const up = t.limit_up;
    const down = t.limit_down;
    if (!(up > 0) || !(down > 0)) return null;
    const eps = r.info.priceTick * 1e-3 + up * 1e-12;
    if (down > up + eps) return `limit_down ${down} above limit_up ${up}`;
    const lo = down - eps;
    const hi = up + eps;
    const p = t.last_price;
    if (p > 0 && (p < lo || p > hi)) return `last_price ${p} outside [${down}, ${up}]`;
    const b = t.bid_price_1;
    if (b > 0 && (b < lo || b > hi)) return `bid_price_1 ${b} outside [${down}, ${up}]`;
    const a = t.ask_price_1;
    if (a > 0 && (a < lo || a > hi)) return `ask_price_1 ${a} outside [${down}, ${up}]`;
    return null;
  },
};

const crossedBook: BuiltinRule = {
  name: 'crossed_book',
  check(t) {
    const b = t.bid_price_1;
    const a = t.ask_price_1;
    if (b > 0 && a > 0 && b >= a) return b === a ? `locked book: bid_price_1 = ask_price_1 = ${a}` : `crossed book: bid_price_1 ${b} > ask_price_1 ${a}`;
    return null;
  },
};

const ohlcInconsistent: BuiltinRule = {
  name: 'ohlc_inconsistent',
  check(t, _s, r) {
    const hi = t.high_price;
    const lo = t.low_price;
    if (!(hi > 0) || !(lo > 0)) return null;
    const eps = r.info.priceTick * 1e-3 + hi * 1e-12;
    if (lo > hi + eps) return `low_price ${lo} above high_price ${hi}`;
    const p = t.last_price;
    if (p > 0 && (p > hi + eps || p < lo - eps)) return `last_price ${p} outside the day's range [${lo}, ${hi}]`;
    return null;
  },
};

function peersAgreeOnVolume(t: MarketTick, s: SourceState, turnover: boolean): boolean {
  const peers = s.peers;
  for (let i = 0; i < peers.length; i++) {
    const p = peers[i]!;
    if (p === s || p.count === 0 || p.tradingDay !== t.trading_day || p.datetime < s.datetime) continue;
    if (turnover ? p.turnover <= t.turnover : p.volume <= t.volume) return true;
  }
  return false;
}

const volumeDecrease: BuiltinRule = {
  name: 'volume_decrease',
  check(t, s, _r, th) {
    if (s.count === 0 || t.trading_day !== s.tradingDay || t.volume >= s.volume) {
      s.volStreak = 0;
      return null;
    }
    if (peersAgreeOnVolume(t, s, false)) return null;
    s.volStreak = s.volStreak > 0 && t.volume >= s.volCand ? s.volStreak + 1 : 1;
    s.volCand = t.volume;
    if (s.volStreak >= th.monotonicReanchorTicks) return null;
    return `volume ${t.volume} below the accepted ${s.volume} within trading day ${t.trading_day}`;
  },
};

const turnoverDecrease: BuiltinRule = {
  name: 'turnover_decrease',
  check(t, s, r, th) {
    // CZCE turnover is computed from a rounded average price: it may fall between snapshots.
    if (r.czce || s.count === 0 || t.trading_day !== s.tradingDay || t.turnover >= s.turnover * (1 - 1e-12)) {
      s.turnStreak = 0;
      return null;
    }
    if (peersAgreeOnVolume(t, s, true)) return null;
    s.turnStreak = s.turnStreak > 0 && t.turnover >= s.turnCand ? s.turnStreak + 1 : 1;
    s.turnCand = t.turnover;
    if (s.turnStreak >= th.monotonicReanchorTicks) return null;
    return `turnover ${t.turnover} below the accepted ${s.turnover} within trading day ${t.trading_day}`;
  },
};

function within(x: number, lo: number, hi: number, tol: number): boolean {
  return x >= lo - tol && x <= hi + tol;
}

const turnoverMismatch: BuiltinRule = {
  name: 'turnover_mismatch',
  check(t, s, r, th) {
    const v = t.volume;
    if (!(v > 0)) return null;
    let lo = t.low_price;
    let hi = t.high_price;
    if (!(lo > 0) || !(hi > 0)) {
      lo = t.limit_down;
      hi = t.limit_up;
      if (!(lo > 0) || !(hi > 0)) return null;
    }
    const mult = r.info.multiplier;
    const tol = th.turnoverTolTicks * r.info.priceTick + hi * 1e-9;
    const to = t.turnover;
    const avg = t.average_price;
    if (r.czce) {
      s.czcePending = 0;
      // CZCE: average_price is a plain price; turnover = avg × volume × multiplier (CTP ≥ 6.7.1) or avg × volume.
      if (avg > 0 && !within(avg, lo, hi, tol)) return `average_price ${avg} outside [${lo}, ${hi}]`;
      if (!(to > 0)) return null;
      const per = to / v;
      if (avg > 0) {
        const rel = th.czceTurnoverRelTol;
        // 1 = turnover includes the multiplier (TCP front ≥ 6.7.1), 2 = it does not (older / multicast fronts).
        const form = Math.abs(per - avg * mult) <= avg * mult * rel + tol * mult ? 1 : Math.abs(per - avg) <= avg * rel + tol ? 2 : 0;
        if (form === 0) return `turnover/volume ${per} matches neither average_price × multiplier ${avg * mult} nor average_price ${avg}`;
        // A source's front uses one form: once learnt, the other form is a corrupted turnover (re-learnt
        // after monotonicReanchorTicks consecutive ticks in the new form, e.g. after a front switch).
        if (mult === 1 || s.czceForm === 0 || form === s.czceForm) {
          s.formStreak = 0;
          s.czcePending = form;
          return null;
        }
        s.formStreak++;
        if (s.formStreak >= th.monotonicReanchorTicks) {
          s.czcePending = form;
          return null;
        }
        return `turnover/volume ${per} uses the other CZCE turnover form than this source (${s.czceForm === 1 ? 'with' : 'without'} multiplier)`;
      }
      if (within(per / mult, lo, hi, tol) || within(per, lo, hi, tol)) return null;
      return `turnover/volume ${per} implies a VWAP outside [${lo}, ${hi}]`;
    }
    if (!(to > 0)) return `turnover ${to} with volume ${v}`;
    const vwap = to / (v * mult);
    if (!within(vwap, lo, hi, tol)) return `turnover/(volume × ${mult}) = ${vwap} outside [${lo}, ${hi}]`;
    if (r.avgTimesMult && avg > 0 && !within(avg / mult, lo, hi, tol)) return `average_price/${mult} = ${avg / mult} outside [${lo}, ${hi}]`;
    // Trades since the last accepted snapshot happened inside the day's range too.
    if (s.count > 0 && s.tradingDay === t.trading_day) {
      const dv = v - s.volume;
      if (dv > 0) {
        const inc = (to - s.turnover) / (dv * mult);
        if (!within(inc, lo, hi, tol + Math.abs(to) * 1e-12)) return `turnover added ${to - s.turnover} for ${dv} lots: VWAP ${inc} outside [${lo}, ${hi}]`;
      } else if (dv === 0 && Math.abs(to - s.turnover) > Math.max(1e-6 * to, mult * r.info.priceTick)) {
        return `turnover changed by ${to - s.turnover} with no volume`;
      }
    }
    return null;
  },
};

/** The move price_jump allows from the anchor for this tick. */
export function allowedMove(t: MarketTick, s: SourceState, r: InstrumentRecord, th: CleansingThresholds): number {
  // Random-walk scaling: σ² is a variance rate (per ms of market time); the horizon is the time since
  // the last accepted trade, at least one 500 ms snapshot, at most jumpMaxTimeFactor² snapshots.
  let dt = t.datetime - s.tradeDt;
  const maxDt = th.jumpMaxTimeFactor * th.jumpMaxTimeFactor * SNAPSHOT_MS;
  dt = dt < SNAPSHOT_MS ? SNAPSHOT_MS : dt > maxDt ? maxDt : dt;
  const floor = th.jumpMinTicks * r.info.priceTick;
  const adaptive = th.jumpSigmas * Math.sqrt(s.sigma * dt);
  if (s.moves >= th.jumpWarmupTicks) return adaptive > floor ? adaptive : floor;
  // Warm-up (no σ yet: new contract, new source): a wider floor from the day's limit band, at most
  // twice the price (an option's band says little about its own moves).
  const ref = s.lastPrice;
  let band = t.limit_up > 0 && t.limit_down > 0 ? t.limit_up - t.limit_down : 0.2 * ref;
  if (band > 2 * ref) band = 2 * ref;
  return Math.max(floor, th.jumpBandFraction * band, adaptive);
}

const priceJump: BuiltinRule = {
  name: 'price_jump',
  check(t, s, r, th) {
    const p = t.last_price;
    const ref = s.lastPrice;
    // No history, a new trading day or the first tick of a session (auction gap): nothing to compare with.
    // Also after a silence longer than jumpResetAfterMs (the source was cut off, or the instrument slept).
    if (!(p > 0) || !(ref > 0) || s.count === 0 || s.tradingDay !== t.trading_day || s.winStart !== r.curStart
      || t.datetime - s.datetime > th.jumpResetAfterMs) return null;
    const allowed = allowedMove(t, s, r, th);
    if (Math.abs(p - ref) <= allowed) {
      s.jumpStreak = 0;
      return null;
    }
    const near = th.jumpMinTicks * r.info.priceTick;
    // The tick corroborates its own move: it sets a new day extreme exactly at last_price on new volume,
    // and the book sits within jumpMinTicks of that price. A corrupted last_price alone does not do that.
    if (t.volume > s.volume && (p > ref ? t.high_price === p && p > s.high : t.low_price === p && p < s.low)
      && (!(t.bid_price_1 > 0) || Math.abs(t.bid_price_1 - p) <= near)
      && (!(t.ask_price_1 > 0) || Math.abs(t.ask_price_1 - p) <= near)) {
      return null;
    }
    // Another source shows this state (accepted, or the same candidate): a real move.
    const peers = s.peers;
    for (let i = 0; i < peers.length; i++) {
      const q = peers[i]!;
      if (q === s || q.tradingDay !== t.trading_day) continue;
      if (q.count > 0 && q.datetime >= s.datetime && Math.abs(q.lastPrice - p) <= allowed) return null;
      if (q.jumpStreak > 0 && q.jumpCand === p && q.jumpCandDt === t.datetime) return null;
    }
    s.jumpStreak = s.jumpStreak > 0 && Math.abs(p - s.jumpCand) <= allowed && t.datetime >= s.jumpCandDt ? s.jumpStreak + 1 : 1;
    s.jumpCand = p;
    s.jumpCandDt = t.datetime;
    if (s.jumpStreak >= th.jumpReanchorTicks) return null; // N consistent ticks: re-anchor
    return `last_price ${p} moved ${Math.abs(p - ref)} from the accepted ${ref} (allowed ${allowed})`;
  },
};

/** The built-in rules in execution order (index i is BUILTIN_RULES[i], except unknown_instrument, handled by the pipeline). */
export const BUILTIN_CHECKS: readonly BuiltinRule[] = [
  nonFinite, negativeVolume, nonPositivePrice, clockSkew, wrongTradingDay, outsideSession, staleReplay, outsideLimits,
  crossedBook, ohlcInconsistent, volumeDecrease, turnoverDecrease, turnoverMismatch, priceJump,
];

for (let i = 0; i < BUILTIN_CHECKS.length; i++) {
  if (BUILTIN_CHECKS[i]!.name !== BUILTIN_RULES[i + 1]) throw new Error('cleansing: BUILTIN_CHECKS out of order');
}

/** Updates a source's accepted state after the pipeline accepted `t`. */
export function commitAccepted(t: MarketTick, s: SourceState, r: InstrumentRecord, th: CleansingThresholds): void {
  const sameDay = s.count > 0 && s.tradingDay === t.trading_day;
  const p = t.last_price;
  // σ learns from trades only (volume went up): book-only updates say nothing about price moves.
  if (sameDay && t.volume > s.volume && s.winStart === r.curStart && p > 0 && s.lastPrice > 0) {
    const n = s.moves + 1;
    const a = th.jumpEwmaAlpha > 1 / n ? th.jumpEwmaAlpha : 1 / n; // bias-corrected start
    const d = p - s.lastPrice;
    const dt = t.datetime - s.tradeDt;
    s.sigma += a * ((d * d) / (dt > SNAPSHOT_MS ? dt : SNAPSHOT_MS) - s.sigma);
    s.moves = n;
  }
  if (t.volume !== s.volume || !sameDay) s.tradeDt = t.datetime;
  s.watermark = sameDay && s.watermark > t.datetime ? s.watermark : t.datetime;
  s.count++;
  s.datetime = t.datetime;
  s.localtime = t.localtime;
  s.tradingDay = t.trading_day;
  s.volume = t.volume;
  s.turnover = t.turnover;
  s.openInterest = t.open_interest;
  if (p > 0) s.lastPrice = p;
  s.bidPrice1 = t.bid_price_1;
  s.askPrice1 = t.ask_price_1;
  s.high = t.high_price;
  s.low = t.low_price;
  s.winStart = r.curStart;
  if (s.czcePending !== 0) {
    s.czceForm = s.czcePending;
    s.czcePending = 0;
  }
  s.formStreak = 0;
  s.jumpStreak = 0;
  s.volStreak = 0;
  s.turnStreak = 0;
  s.staleStreak = 0;
}
