/**
 * The simulated instrument universe: real-looking instrument ids of all six futures exchanges, CFFEX
 * index options, commodity options and SSE/SZSE ETF options, with reference prices, limits, liquidity,
 * timestamp quirks and trait flags. Deterministic in the seed.
 */
import type { Exchange } from '@mdhub/protocol';
import type { SimProductSpec } from './market-like.js';
import { Rng, deriveSeed } from './rng.js';

/** How often an instrument produces snapshots: every 500 ms, every few seconds, about once a minute. */
export type Liquidity = 'liquid' | 'normal' | 'illiquid';

/**
 * How the exchange stamps `datetime`:
 * - `half`: .000 / .500 (SHFE, INE, CFFEX, GFEX, SSE, SZSE);
 * - `any`: any millisecond (DCE);
 * - `second`: whole seconds, no milliseconds (CZCE): two snapshots in one second share a datetime.
 */
export type StampRule = 'half' | 'any' | 'second';

/** Option terms of an option instrument. */
export interface SimOptionTerms {
  type: 'C' | 'P';
  strike: number;
  /** Underlying reference price (future's pre-settlement, index or ETF previous close). */
  underlyingPrice: number;
  /** Underlying instrument or index id (`m2605`, `000300`, `510050`). */
  underlying: string;
  /** Expiry day, 'YYYYMMDD' (approximate for commodity options). */
  expiry: string;
}

/** How the daily limits are derived again on every new trading day. */
export type LimitRule =
  | { kind: 'pct'; pct: number }
  | { kind: 'amount'; up: number; down: number };

/** One simulated instrument with its reference data for the universe's trading day. */
export interface SimInstrument {
  /** Position in the universe (tie-break of emission order). */
  index: number;
  symbol: string;
  exchange: Exchange;
  /** Chinese display name, e.g. `螺纹钢2601`, `50ETF购12月3000`. */
  name: string;
  product: SimProductSpec;
  kind: 'future' | 'option';
  /** Contract month `YYMM`. */
  month: string;
  option: SimOptionTerms | null;
  pre_close: number;
  pre_settlement: number;
  pre_open_interest: number;
  limit_up: number;
  limit_down: number;
  limitRule: LimitRule;
  liquidity: Liquidity;
  /** Offset of the instrument's snapshots inside each 500 ms slot, ms (0 for `half` stamping). */
  phaseMs: number;
  stamp: StampRule;
  /** Standard deviation of one price step, in ticks. */
  volTicks: number;
  /** Mean lots per trade step. */
  meanLots: number;
  /** Per-instrument seed of the tape's random stream. */
  seed: number;
  /** A stretch pinned at the up / down limit with the opposite book side empty; null otherwise. */
  limitLocked: 'up' | 'down' | null;
  /** A deep out-of-the-money option priced at one tick (bid side empty). */
  deepOtm: boolean;
  /** First trading day: pre_close = pre_settlement = listing reference, no open interest. */
  newListing: boolean;
}

/** Parameters of {@link buildUniverse}. */
export interface UniverseOptions {
  seed: number;
  /** Trading day the reference data is for, 'YYYYMMDD' (or 'YYYY-MM-DD'). */
  tradingDay: string;
  /** Product table (core's `listProducts()`, or any `SimProductSpec[]`). */
  products: readonly SimProductSpec[];
  /** Number of instruments; default {@link DEFAULT_UNIVERSE_SIZE}. Any size up to tens of thousands works. */
  instruments?: number;
  /**
   * Forces every instrument into one liquidity class (e.g. `'liquid'` for storm benchmarks: every
   * instrument ticks every 500 ms). Default: mixed, per product and contract.
   */
  liquidity?: Liquidity;
}

/** The default universe size. */
export const DEFAULT_UNIVERSE_SIZE = 300;

// ---------------------------------------------------------------------------------------------
// Reference data the product table does not carry: price levels, liquid months, illiquid products.

/** Approximate price levels (late 2025) per `exchange|product`; others fall back to 3000 ticks. */
const BASE_PRICE: Record<string, number> = {
  'SHFE|cu': 86000, 'SHFE|al': 21500, 'SHFE|zn': 22500, 'SHFE|pb': 17200, 'SHFE|ni': 120000,
  'SHFE|sn': 290000, 'SHFE|ss': 12600, 'SHFE|ao': 2800, 'SHFE|ad': 20500, 'SHFE|au': 950,
  'SHFE|ag': 13000, 'SHFE|rb': 3100, 'SHFE|hc': 3300, 'SHFE|wr': 3400, 'SHFE|fu': 2700,
  'SHFE|bu': 3100, 'SHFE|ru': 15300, 'SHFE|br': 11000, 'SHFE|sp': 5300, 'SHFE|op': 4300,
  'INE|sc': 460, 'INE|lu': 3000, 'INE|nr': 12500, 'INE|bc': 76000, 'INE|ec': 1700,
  'DCE|a': 4000, 'DCE|b': 3600, 'DCE|m': 2800, 'DCE|y': 8200, 'DCE|p': 8700, 'DCE|c': 2200,
  'DCE|cs': 2500, 'DCE|jd': 3200, 'DCE|lh': 11500, 'DCE|rr': 3500, 'DCE|bb': 150, 'DCE|fb': 1300,
  'DCE|lg': 800, 'DCE|l': 6700, 'DCE|v': 4600, 'DCE|pp': 6400, 'DCE|eg': 3800, 'DCE|eb': 6500,
  'DCE|pg': 4200, 'DCE|bz': 5500, 'DCE|i': 780, 'DCE|j': 1600, 'DCE|jm': 1100,
  'CZCE|SR': 5400, 'CZCE|CF': 13500, 'CZCE|CY': 19500, 'CZCE|AP': 9000, 'CZCE|CJ': 9500,
  'CZCE|PK': 8000, 'CZCE|RM': 2400, 'CZCE|OI': 9500, 'CZCE|RS': 5500, 'CZCE|WH': 2500,
  'CZCE|PM': 2500, 'CZCE|RI': 2600, 'CZCE|LR': 2700, 'CZCE|JR': 2900, 'CZCE|TA': 4700,
  'CZCE|MA': 2100, 'CZCE|FG': 1050, 'CZCE|SA': 1200, 'CZCE|UR': 1650, 'CZCE|PF': 6200,
  'CZCE|PX': 6600, 'CZCE|SH': 2300, 'CZCE|PR': 5800, 'CZCE|PL': 6000, 'CZCE|ZC': 800,
  'CZCE|SF': 5600, 'CZCE|SM': 5800,
  'GFEX|si': 8800, 'GFEX|lc': 90000, 'GFEX|ps': 52000, 'GFEX|pt': 430, 'GFEX|pd': 380,
  'CFFEX|IF': 4550, 'CFFEX|IH': 3000, 'CFFEX|IC': 7000, 'CFFEX|IM': 7300, 'CFFEX|TS': 102.4,
  'CFFEX|TF': 105.8, 'CFFEX|T': 108.2, 'CFFEX|TL': 114.5,
  // index options: the index level; ETF options: the fund's previous close
  'CFFEX|IO': 4550, 'CFFEX|MO': 7300, 'CFFEX|HO': 3000,
  'SSE|510050': 3.1, 'SSE|510300': 4.6, 'SSE|510500': 7.0, 'SSE|588000': 1.45, 'SSE|588080': 1.4,
  'SZSE|159919': 4.7, 'SZSE|159915': 3.1, 'SZSE|159922': 7.0, 'SZSE|159901': 3.3,
};

/** Short fund labels used in ETF option names (`50ETF购12月3000`). */
const ETF_LABEL: Record<string, string> = {
  '510050': '50ETF', '510300': '300ETF', '510500': '500ETF', '588000': '科创50', '588080': '科创板50',
  '159919': '沪深300ETF', '159915': '创业板ETF', '159922': '中证500ETF', '159901': '深证100ETF',
};

/** Products that trade little (one snapshot a minute or so). */
const ILLIQUID = new Set([
  'SHFE|wr', 'DCE|bb', 'DCE|fb', 'DCE|rr', 'CZCE|RS', 'CZCE|WH', 'CZCE|PM', 'CZCE|RI', 'CZCE|LR',
  'CZCE|JR', 'CZCE|ZC', 'CZCE|CY', 'CZCE|PK', 'CZCE|CJ', 'INE|bc', 'SHFE|op', 'DCE|b',
]);

/** Products with extra liquidity: three listed months in the default universe. */
const TOP = new Set([
  'SHFE|rb', 'SHFE|cu', 'SHFE|au', 'SHFE|ag', 'SHFE|hc', 'SHFE|ru', 'SHFE|al', 'SHFE|ni',
  'INE|sc', 'DCE|m', 'DCE|i', 'DCE|p', 'DCE|y', 'DCE|c', 'DCE|jm', 'DCE|eg', 'CZCE|SR', 'CZCE|TA',
  'CZCE|MA', 'CZCE|FG', 'CZCE|SA', 'CZCE|CF', 'CZCE|RM', 'GFEX|lc', 'GFEX|si', 'CFFEX|IF',
  'CFFEX|IM', 'CFFEX|IC', 'CFFEX|T',
]);

/** Active contract-month pattern per product (months of the year); absent = monthly. */
const MONTHS_159 = [1, 5, 9];
const MONTH_PATTERN: Record<string, number[]> = {
  'SHFE|au': [2, 4, 6, 8, 10, 12], 'SHFE|ag': [2, 4, 6, 8, 10, 12], 'SHFE|rb': [1, 5, 10],
  'SHFE|hc': [1, 5, 10], 'SHFE|fu': MONTHS_159, 'SHFE|ru': MONTHS_159, 'SHFE|sp': MONTHS_159,
  'SHFE|bu': [3, 6, 9, 12], 'INE|ec': [2, 4, 6, 8, 10, 12], 'DCE|lh': [1, 3, 5, 7, 9, 11],
  'DCE|lg': [1, 3, 5, 7, 9, 11], 'CZCE|AP': [1, 5, 10], 'CFFEX|TS': [3, 6, 9, 12],
  'CFFEX|TF': [3, 6, 9, 12], 'CFFEX|T': [3, 6, 9, 12], 'CFFEX|TL': [3, 6, 9, 12],
};
const MONTHLY_EXCHANGE_PRODUCTS = new Set([
  'SHFE|cu', 'SHFE|al', 'SHFE|zn', 'SHFE|pb', 'SHFE|ni', 'SHFE|sn', 'SHFE|ss', 'SHFE|ao', 'SHFE|ad',
  'SHFE|br', 'SHFE|op', 'SHFE|wr', 'INE|sc', 'INE|lu', 'INE|nr', 'INE|bc', 'DCE|eg', 'DCE|eb',
  'DCE|pg', 'DCE|bz', 'GFEX|si', 'GFEX|lc', 'GFEX|ps', 'GFEX|pt', 'GFEX|pd',
]);

// ---------------------------------------------------------------------------------------------
// Small helpers

interface Ymd { y: number; m: number; d: number }

function parseDay(day: string): Ymd {
  const digits = day.replace(/-/g, '');
  const m = /^(\d{4})(\d{2})(\d{2})$/.exec(digits);
  if (!m) throw new RangeError(`bad trading day '${day}' (expected YYYYMMDD)`);
  return { y: Number(m[1]), m: Number(m[2]), d: Number(m[3]) };
}

function pad2(n: number): string {
  return n < 10 ? `0${n}` : String(n);
}

function ymdString(y: number, m: number, d: number): string {
  return `${y}${pad2(m)}${pad2(d)}`;
}

/** Day of month of the n-th given weekday (0 = Sunday) of a month. */
function nthWeekday(y: number, m: number, weekday: number, n: number): number {
  const first = new Date(Date.UTC(y, m - 1, 1)).getUTCDay();
  return 1 + ((weekday - first + 7) % 7) + 7 * (n - 1);
}

function daysBetween(a: Ymd, b: Ymd): number {
  return (Date.UTC(b.y, b.m - 1, b.d) - Date.UTC(a.y, a.m - 1, a.d)) / 86_400_000;
}

function addMonths(y: number, m: number, k: number): { y: number; m: number } {
  const idx = y * 12 + (m - 1) + k;
  return { y: Math.floor(idx / 12), m: (idx % 12) + 1 };
}

/** Number of decimals of a tick size (0.0001 → 4, 0.02 → 2, 5 → 0). */
export function tickDecimals(tick: number): number {
  for (let d = 0; d < 10; d++) {
    const scaled = tick * 10 ** d;
    if (Math.abs(scaled - Math.round(scaled)) < 1e-9) return d;
  }
  return 10;
}

/** `ticks × tick`, rounded to the tick's decimals (exact decimal representation). */
export function ticksToPrice(ticks: number, tick: number): number {
  const scale = 10 ** tickDecimals(tick);
  return Math.round(ticks * Math.round(tick * scale)) / scale;
}

/** Largest "nice" step (1, 2, 2.5, 5 × 10^k) not above x. */
function niceStep(x: number): number {
  const p = 10 ** Math.floor(Math.log10(x));
  for (const f of [5, 2.5, 2, 1]) if (f * p <= x) return f * p;
  return p;
}

function normCdf(x: number): number {
  // Abramowitz–Stegun 7.1.26 on erf
  const z = Math.abs(x) / Math.SQRT2;
  const t = 1 / (1 + 0.3275911 * z);
  const y = 1 - ((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t * Math.exp(-z * z);
  return x >= 0 ? 0.5 * (1 + y) : 0.5 * (1 - y);
}

/** Black-76 price of a European option on a forward, zero rates. */
function black(type: 'C' | 'P', f: number, k: number, sigma: number, years: number): number {
  const sd = sigma * Math.sqrt(Math.max(years, 1 / 365));
  const d1 = (Math.log(f / k) + (sd * sd) / 2) / sd;
  const d2 = d1 - sd;
  return type === 'C' ? f * normCdf(d1) - k * normCdf(d2) : k * normCdf(-d2) - f * normCdf(-d1);
}

function key(p: SimProductSpec): string {
  return `${p.exchange}|${p.product}`;
}

/** Product code of the underlying future of a commodity option product (`m` for `m` or `m_o`). */
function underlyingCode(p: SimProductSpec): string {
  return p.product.replace(/_o$/, '');
}

function isValidProduct(p: SimProductSpec): boolean {
  return Number.isFinite(p.price_tick) && p.price_tick > 0 && Number.isFinite(p.multiplier) && p.multiplier > 0;
}

// ---------------------------------------------------------------------------------------------
// Candidates: instruments before prices and traits are attached

interface Candidate {
  product: SimProductSpec;
  kind: 'future' | 'option';
  symbol: string;
  name: string;
  month: string;
  /** Reference price of the future (futures) or of the option's underlying (options). */
  refPrice: number;
  option: SimOptionTerms | null;
  /** 0 = main contract, 1 = second, … (futures); distance from ATM for options. */
  rank: number;
  /** Explicitly deep OTM (ETF options far strikes). */
  farOtm: boolean;
  yearsToExpiry: number;
}

interface MonthRef { y: number; m: number }

function yymm(mr: MonthRef): string {
  return `${pad2(mr.y % 100)}${pad2(mr.m)}`;
}

/** Contract month label as the exchange writes it: CZCE `601` (3 digits), others `2601`. */
function monthLabel(exchange: Exchange, mr: MonthRef): string {
  return exchange === 'CZCE' ? `${mr.y % 10}${pad2(mr.m)}` : yymm(mr);
}

/** Active futures months after the trading day, liquid ones first, up to `count`. */
function futureMonths(p: SimProductSpec, day: Ymd, count: number): MonthRef[] {
  const k = key(p);
  const out: MonthRef[] = [];
  if (p.exchange === 'CFFEX' && (p.product === 'IF' || p.product === 'IH' || p.product === 'IC' || p.product === 'IM')) {
    // current month (until its third Friday), next month, then the next two quarter months
    const thirdFri = nthWeekday(day.y, day.m, 5, 3);
    let start = day.d <= thirdFri ? 0 : 1;
    const seq: MonthRef[] = [addMonths(day.y, day.m, start), addMonths(day.y, day.m, start + 1)];
    start += 2;
    for (let i = 0; seq.length < Math.max(count, 4) && i < 60; i++) {
      const mr = addMonths(day.y, day.m, start + i);
      if (mr.m % 3 === 0) seq.push(mr);
    }
    for (let i = 0; seq.length < count && i < 120; i++) seq.push(addMonths(day.y, day.m, start + 12 + i));
    return seq.slice(0, count);
  }
  const pattern = MONTH_PATTERN[k] ?? (MONTHLY_EXCHANGE_PRODUCTS.has(k) ? null : MONTHS_159);
  const liquid: MonthRef[] = [];
  const other: MonthRef[] = [];
  for (let i = 1; i <= 12; i++) {
    const mr = addMonths(day.y, day.m, i);
    if (pattern === null || pattern.includes(mr.m)) liquid.push(mr);
    else other.push(mr);
  }
  // monthly products: the next two months are the liquid ones
  out.push(...liquid, ...other);
  return out.slice(0, count);
}

function futureRefPrice(seed: number, p: SimProductSpec, mr: MonthRef, rank: number): number {
  const base = BASE_PRICE[key(p)] ?? 3000 * p.price_tick;
  const r = new Rng(deriveSeed(seed, 'px', p.exchange, p.product));
  const level = base * (1 + r.range(-0.04, 0.04));
  const carry = r.range(-0.006, 0.006);
  const noise = new Rng(deriveSeed(seed, 'pxm', p.exchange, p.product, yymm(mr))).range(-0.002, 0.002);
  return level * (1 + carry * rank + noise);
}

function futureCandidate(seed: number, p: SimProductSpec, mr: MonthRef, rank: number): Candidate {
  const label = monthLabel(p.exchange, mr);
  const code = p.exchange === 'CZCE' || p.exchange === 'CFFEX' ? p.product.toUpperCase() : p.product.toLowerCase();
  return {
    product: p, kind: 'future', symbol: `${code}${label}`, name: `${p.name_cn}${label}`, month: yymm(mr),
    refPrice: futureRefPrice(seed, p, mr, rank), option: null, rank, farOtm: false, yearsToExpiry: 0,
  };
}

/** Strike step for an underlying price level. */
function strikeStep(p: SimProductSpec, price: number, underlyingTick: number): number {
  if (p.exchange === 'SSE' || p.exchange === 'SZSE') {
    return price <= 3 ? 0.05 : price <= 5 ? 0.1 : price <= 10 ? 0.25 : 0.5;
  }
  if (p.exchange === 'CFFEX') return price <= 2500 ? 25 : price <= 5000 ? 50 : 100;
  const s = Math.max(niceStep(price * 0.02), underlyingTick);
  return Math.round(s / underlyingTick) * underlyingTick;
}

function strikeLabel(k: number): string {
  return Number.isInteger(k) ? String(k) : String(Number(k.toFixed(4)));
}

/** Option ids per exchange rule (markets.json instrument_id_rules). */
function optionSymbol(p: SimProductSpec, under: string, mr: MonthRef, type: 'C' | 'P', k: number): string {
  switch (p.exchange) {
    case 'DCE':
    case 'GFEX':
      return `${under.toLowerCase()}${yymm(mr)}-${type}-${strikeLabel(k)}`;
    case 'CZCE':
      return `${under.toUpperCase()}${monthLabel('CZCE', mr)}${type}${strikeLabel(k)}`;
    case 'CFFEX':
      return `${p.product.toUpperCase()}${yymm(mr)}-${type}-${strikeLabel(k)}`;
    default:
      return `${under.toLowerCase()}${yymm(mr)}${type}${strikeLabel(k)}`;
  }
}

/** Option months: ETF current/next/two quarterly; CFFEX current, next, next…; commodity: liquid future months. */
function optionMonths(p: SimProductSpec, day: Ymd, count: number, under: SimProductSpec | undefined): Array<{ mr: MonthRef; expiry: Ymd }> {
  const out: Array<{ mr: MonthRef; expiry: Ymd }> = [];
  if (p.exchange === 'SSE' || p.exchange === 'SZSE' || p.exchange === 'CFFEX') {
    const etf = p.exchange !== 'CFFEX';
    const expiryOf = (mr: MonthRef): Ymd => ({ y: mr.y, m: mr.m, d: etf ? nthWeekday(mr.y, mr.m, 3, 4) : nthWeekday(mr.y, mr.m, 5, 3) });
    let start = 0;
    if (day.d > expiryOf({ y: day.y, m: day.m }).d) start = 1;
    const seq: MonthRef[] = [addMonths(day.y, day.m, start), addMonths(day.y, day.m, start + 1)];
    if (!etf) seq.push(addMonths(day.y, day.m, start + 2));
    for (let i = seq.length; seq.length < Math.max(count, 4) && i < 40; i++) {
      const mr = addMonths(day.y, day.m, start + i);
      if (mr.m % 3 === 0) seq.push(mr);
    }
    for (let i = 0; seq.length < count && i < 60; i++) seq.push(addMonths(day.y, day.m, start + 12 + i));
    for (const mr of seq.slice(0, count)) out.push({ mr, expiry: expiryOf(mr) });
    return out;
  }
  const months = under ? futureMonths(under, day, Math.max(count, 3)) : [addMonths(day.y, day.m, 2)];
  for (const mr of months.slice(0, count)) {
    const e = addMonths(mr.y, mr.m, -1);
    out.push({ mr, expiry: { y: e.y, m: e.m, d: 7 } });
  }
  return out;
}

interface OptionSeries {
  product: SimProductSpec;
  under: string;
  underTick: number;
  underName: string;
  mr: MonthRef;
  expiry: Ymd;
  years: number;
  f: number;
  step: number;
  atm: number;
  etf: boolean;
}

function optionSeries(seed: number, p: SimProductSpec, day: Ymd, months: number, futures: Map<string, SimProductSpec>): OptionSeries[] {
  const etf = p.exchange === 'SSE' || p.exchange === 'SZSE';
  const underSpec = etf || p.exchange === 'CFFEX' ? undefined : futures.get(`${p.exchange}|${underlyingCode(p)}`);
  if (!etf && p.exchange !== 'CFFEX' && !underSpec) return [];
  const out: OptionSeries[] = [];
  for (const { mr, expiry } of optionMonths(p, day, months, underSpec)) {
    let f: number;
    let under: string;
    let underName: string;
    let underTick: number;
    if (underSpec) {
      const rank = futureMonths(underSpec, day, 12).findIndex((x) => x.y === mr.y && x.m === mr.m);
      f = futureRefPrice(seed, underSpec, mr, Math.max(rank, 0));
      under = underlyingCode(p);
      underName = underSpec.name_cn;
      underTick = underSpec.price_tick;
    } else {
      const base = BASE_PRICE[key(p)] ?? (etf ? 3 : 4000);
      f = base * (1 + new Rng(deriveSeed(seed, 'ix', p.exchange, p.product)).range(-0.03, 0.03));
      under = p.underlying ?? p.product;
      underName = etf ? (ETF_LABEL[p.product] ?? p.product) : p.name_cn.replace(/期权$/, '');
      underTick = etf ? 0.001 : 0.2;
      if (etf) f = Math.round(f * 1000) / 1000;
      else f = Math.round(f * 100) / 100;
    }
    const step = strikeStep(p, f, underTick);
    const atm = Math.round(f / step) * step;
    const years = Math.max(daysBetween(day, expiry), 1) / 365;
    out.push({ product: p, under, underTick, underName, mr, expiry, years, f, step, atm, etf });
  }
  return out;
}

function optionCandidate(s: OptionSeries, type: 'C' | 'P', k: number, rank: number, farOtm: boolean, etfCode: () => string): Candidate {
  const p = s.product;
  const strike = Number(k.toFixed(6));
  const cn = type === 'C' ? '购' : '沽';
  let symbol: string;
  let name: string;
  if (s.etf) {
    symbol = etfCode();
    name = `${s.underName}${cn}${s.mr.m}月${Math.round(strike * 1000)}`;
  } else {
    symbol = optionSymbol(p, s.under, s.mr, type, strike);
    const label = monthLabel(p.exchange, s.mr);
    name = `${p.exchange === 'CFFEX' ? s.underName : s.underName}${label}${cn}${strikeLabel(strike)}`;
  }
  const underlying = s.etf || p.exchange === 'CFFEX' ? s.under : `${p.exchange === 'CZCE' ? s.under.toUpperCase() : s.under.toLowerCase()}${monthLabel(p.exchange, s.mr)}`;
  return {
    product: p, kind: 'option', symbol, name, month: yymm(s.mr), refPrice: s.f,
    option: { type, strike, underlyingPrice: s.f, underlying, expiry: ymdString(s.expiry.y, s.expiry.m, s.expiry.d) },
    rank, farOtm, yearsToExpiry: s.years,
  };
}

/** Strike offsets from ATM in priority order: 0, +1, -1, +2, -2, … */
function* strikeOffsets(): Generator<number> {
  yield 0;
  for (let i = 1; ; i++) {
    yield i;
    yield -i;
  }
}

// ---------------------------------------------------------------------------------------------

/**
 * Builds the simulated universe for one trading day. The default (~300 instruments) has every futures
 * product of all six futures exchanges (2–3 contract months of the liquid ones, one of the illiquid
 * ones), CFFEX index options, commodity options of several exchanges and SSE/SZSE ETF options with
 * deep out-of-the-money strikes. Larger sizes add months and strikes; smaller sizes keep a
 * round-robin sample across exchanges. Deterministic in `seed`.
 */
export function buildUniverse(opts: UniverseOptions): SimInstrument[] {
  const seed = opts.seed >>> 0;
  const day = parseDay(opts.tradingDay);
  const size = Math.max(1, Math.floor(opts.instruments ?? DEFAULT_UNIVERSE_SIZE));
  const products = opts.products.filter(isValidProduct);
  const futures = new Map<string, SimProductSpec>();
  for (const p of products) {
    // monthly-average futures (l_f …): CTP id form unconfirmed, left out
    if (p.kind === 'future' && !/_f$/.test(p.product)) futures.set(key(p), p);
  }
  const options = products.filter((p) => p.kind === 'option');

  let sseCode = 10008000 + (deriveSeed(seed, 'sse') % 800);
  let szseCode = 90005000 + (deriveSeed(seed, 'szse') % 800);
  const etfCodeFor = (ex: Exchange) => (): string => String(ex === 'SSE' ? sseCode++ : szseCode++);

  // Base set, per exchange, in priority order.
  const base = new Map<Exchange, Candidate[]>();
  const add = (list: Map<Exchange, Candidate[]>, c: Candidate): void => {
    let l = list.get(c.product.exchange);
    if (!l) list.set(c.product.exchange, (l = []));
    l.push(c);
  };
  const futList = [...futures.values()];
  // main months first (every product), then second months, then third months of the top products
  const futMonthsCount = (p: SimProductSpec): number => (ILLIQUID.has(key(p)) ? 1 : TOP.has(key(p)) ? 3 : 2);
  for (let rank = 0; rank < 3; rank++) {
    for (const p of futList) {
      if (rank >= futMonthsCount(p)) continue;
      const mr = futureMonths(p, day, rank + 1)[rank];
      if (mr) add(base, futureCandidate(seed, p, mr, rank));
    }
  }
  // options: front series, a few strikes around ATM; ETF options also two far (deep OTM) strikes
  const seriesByProduct = new Map<SimProductSpec, OptionSeries[]>();
  for (const p of options) seriesByProduct.set(p, optionSeries(seed, p, day, 4, futures));
  for (const p of options) {
    const series = seriesByProduct.get(p) ?? [];
    const front = series[0];
    if (!front) continue;
    const etf = front.etf;
    const nStrikes = etf ? 3 : p.exchange === 'CFFEX' ? 3 : 1;
    const offs = strikeOffsets();
    for (let i = 0; i < nStrikes; i++) {
      const o = offs.next().value as number;
      const k = front.atm + o * front.step;
      for (const t of ['C', 'P'] as const) add(base, optionCandidate(front, t, k, Math.abs(o), false, etfCodeFor(p.exchange)));
    }
    if (etf) {
      const farC = Math.round((front.f * 1.3) / front.step) * front.step;
      const farP = Math.round((front.f * 0.7) / front.step) * front.step;
      add(base, optionCandidate(front, 'C', farC, 99, true, etfCodeFor(p.exchange)));
      add(base, optionCandidate(front, 'P', farP, 99, true, etfCodeFor(p.exchange)));
    }
  }
  const baseList = roundRobin(base);
  let chosen: Candidate[];
  if (size <= baseList.length) {
    chosen = baseList.slice(0, size);
  } else {
    chosen = baseList;
    const seen = new Set(chosen.map((c) => `${c.product.exchange}|${c.symbol}`));
    // expansion: more months for futures, more strikes/months for options, interleaved by product
    const streams: Array<Generator<Candidate>> = [];
    for (const p of futList) streams.push(futureExpansion(seed, p, day));
    for (const p of options) {
      const series = seriesByProduct.get(p) ?? [];
      if (series.length > 0) streams.push(optionExpansion(series, etfCodeFor(p.exchange)));
    }
    let live = streams.length;
    while (chosen.length < size && live > 0) {
      live = 0;
      for (const s of streams) {
        if (chosen.length >= size) break;
        let r = s.next();
        while (!r.done && seen.has(`${r.value.product.exchange}|${r.value.symbol}`)) r = s.next();
        if (r.done) continue;
        live++;
        seen.add(`${r.value.product.exchange}|${r.value.symbol}`);
        chosen.push(r.value);
      }
    }
  }
  const out = finish(seed, chosen);
  if (opts.liquidity !== undefined) for (const i of out) i.liquidity = opts.liquidity;
  return out;
}

function roundRobin(byExchange: Map<Exchange, Candidate[]>): Candidate[] {
  const lists = [...byExchange.values()];
  const out: Candidate[] = [];
  for (let i = 0; out.length < lists.reduce((n, l) => n + l.length, 0); i++) {
    for (const l of lists) {
      const c = l[i];
      if (c) out.push(c);
    }
  }
  return out;
}

function* futureExpansion(seed: number, p: SimProductSpec, day: Ymd): Generator<Candidate> {
  const months = futureMonths(p, day, 12);
  for (let i = 0; i < months.length; i++) yield futureCandidate(seed, p, months[i] as MonthRef, i);
}

function* optionExpansion(series: OptionSeries[], etfCode: () => string): Generator<Candidate> {
  const gens = series.map((s) => strikesOf(s));
  let any = true;
  while (any) {
    any = false;
    for (const g of gens) {
      for (let j = 0; j < 2; j++) {
        const r = g.next();
        if (r.done) continue;
        any = true;
        const [s, t, k, rank] = r.value;
        yield optionCandidate(s, t, k, rank, false, etfCode);
      }
    }
  }
}

function* strikesOf(s: OptionSeries): Generator<[OptionSeries, 'C' | 'P', number, number]> {
  const offs = strikeOffsets();
  for (let i = 0; i < 81; i++) {
    const o = offs.next().value as number;
    const k = s.atm + o * s.step;
    if (k <= 0) continue;
    yield [s, 'C', k, Math.abs(o)];
    yield [s, 'P', k, Math.abs(o)];
  }
}

/** Attaches prices, limits, liquidity, timestamp phase and traits. */
function finish(seed: number, chosen: Candidate[]): SimInstrument[] {
  const out: SimInstrument[] = chosen.map((c, index) => build(seed, c, index));
  // traits: limit-locked futures (up and down) and new listings, chosen deterministically
  const pickRng = new Rng(deriveSeed(seed, 'traits'));
  const nLock = Math.max(1, Math.round(out.length / 150));
  const lockable = out.filter((i) => i.kind === 'future' && i.liquidity !== 'illiquid');
  const shuffle = <T>(xs: T[]): T[] => {
    for (let i = xs.length - 1; i > 0; i--) {
      const j = pickRng.int(0, i);
      const t = xs[i] as T;
      xs[i] = xs[j] as T;
      xs[j] = t;
    }
    return xs;
  };
  shuffle(lockable);
  // one locked-down instrument on CZCE when possible (whole-second stamps + empty bid side)
  const czce = lockable.find((i) => i.exchange === 'CZCE');
  const lockDown: SimInstrument[] = czce ? [czce] : [];
  const lockUp: SimInstrument[] = [];
  for (const i of lockable) {
    if (lockUp.length >= nLock && lockDown.length >= nLock) break;
    if (lockDown.includes(i)) continue;
    if (lockUp.length < nLock) lockUp.push(i);
    else if (lockDown.length < nLock) lockDown.push(i);
  }
  for (const i of lockUp) lock(i, 'up');
  for (const i of lockDown) lock(i, 'down');
  const nNew = Math.max(1, Math.round(out.length / 200));
  const listable = shuffle(out.filter((i) => i.kind === 'future' && i.limitLocked === null && i.liquidity !== 'liquid'));
  for (const i of listable.slice(0, nNew)) {
    i.newListing = true;
    i.pre_close = i.pre_settlement;
    i.pre_open_interest = 0;
    setLimits(i);
  }
  return out;
}

function lock(i: SimInstrument, side: 'up' | 'down'): void {
  i.limitLocked = side;
  i.liquidity = 'liquid';
}

/** Recomputes limit_up / limit_down from pre_settlement and the limit rule (on the tick grid). */
export function limitsFor(preSettlement: number, rule: LimitRule, tick: number): { up: number; down: number } {
  const pre = Math.round(preSettlement / tick);
  let upT: number;
  let downT: number;
  if (rule.kind === 'pct') {
    upT = Math.floor(pre * (1 + rule.pct / 100) + 1e-9);
    downT = Math.ceil(pre * (1 - rule.pct / 100) - 1e-9);
  } else {
    upT = pre + Math.max(1, Math.round(rule.up / tick));
    downT = pre - Math.round(rule.down / tick);
  }
  if (upT <= pre) upT = pre + 1;
  if (downT >= pre) downT = pre - 1;
  if (downT < 1) downT = 1;
  return { up: ticksToPrice(upT, tick), down: ticksToPrice(downT, tick) };
}

function setLimits(i: SimInstrument): void {
  const l = limitsFor(i.pre_settlement, i.limitRule, i.product.price_tick);
  i.limit_up = l.up;
  i.limit_down = l.down;
}

function build(seed: number, c: Candidate, index: number): SimInstrument {
  const p = c.product;
  const tick = p.price_tick;
  const iseed = deriveSeed(seed, 'inst', p.exchange, c.symbol);
  const r = new Rng(iseed);
  const k = key(p);
  let preSettleT: number;
  let liquidity: Liquidity;
  let limitRule: LimitRule;
  let volTicks: number;
  let meanLots: number;
  let deepOtm = false;
  let preOi: number;
  if (c.kind === 'future') {
    preSettleT = Math.max(1, Math.round(c.refPrice / tick));
    liquidity = ILLIQUID.has(k) ? 'illiquid' : c.rank === 0 ? 'liquid' : c.rank === 1 ? 'normal' : c.rank === 2 && TOP.has(k) ? 'normal' : 'illiquid';
    limitRule = { kind: 'pct', pct: p.limit_pct ?? 8 };
    const dailyVol = r.range(0.01, 0.025);
    volTicks = (c.refPrice * dailyVol) / 170 / tick;
    meanLots = liquidity === 'liquid' ? r.range(5, 40) : liquidity === 'normal' ? r.range(1, 6) : r.range(1, 3);
    preOi = liquidity === 'liquid' ? r.int(80_000, 1_500_000) : liquidity === 'normal' ? r.int(5_000, 80_000) : r.int(0, 800);
  } else {
    const o = c.option as SimOptionTerms;
    const sigma = r.range(0.16, 0.3);
    const v = black(o.type, o.underlyingPrice, o.strike, sigma, c.yearsToExpiry);
    preSettleT = Math.max(1, Math.round(v / tick));
    if (c.farOtm || preSettleT <= 1) {
      preSettleT = 1;
      deepOtm = true;
    }
    const far = c.rank;
    liquidity = deepOtm ? 'normal' : far <= 1 && (p.exchange === 'SSE' || p.exchange === 'SZSE' || p.exchange === 'CFFEX') ? 'liquid' : far <= 4 ? 'normal' : 'illiquid';
    const u = o.underlyingPrice;
    if (p.exchange === 'SSE' || p.exchange === 'SZSE') {
      const kk = o.strike;
      const up = o.type === 'C' ? Math.max(u * 0.005, Math.min(2 * u - kk, u) * 0.1) : Math.max(kk * 0.005, Math.min(2 * kk - u, u) * 0.1);
      limitRule = { kind: 'amount', up, down: u * 0.1 };
    } else if (p.exchange === 'CFFEX') {
      limitRule = { kind: 'amount', up: u * 0.1, down: u * 0.1 };
    } else {
      // the underlying future's limit amount
      const pct = 8;
      limitRule = { kind: 'amount', up: (u * pct) / 100, down: (u * pct) / 100 };
    }
    const optVol = r.range(0.25, 0.6);
    volTicks = (preSettleT * optVol) / 170;
    meanLots = liquidity === 'liquid' ? r.range(3, 20) : r.range(1, 5);
    preOi = deepOtm ? r.int(2_000, 60_000) : liquidity === 'illiquid' ? r.int(0, 2_000) : r.int(1_000, 80_000);
  }
  volTicks = Math.min(Math.max(volTicks, 0.3), 25);
  const preSettlement = ticksToPrice(preSettleT, tick);
  const closeOff = deepOtm ? 0 : Math.round(r.normal(0, Math.max(1, volTicks * 4)));
  const preCloseT = Math.max(1, preSettleT + closeOff);
  const stamp: StampRule = p.exchange === 'DCE' ? 'any' : p.exchange === 'CZCE' ? 'second' : 'half';
  const phaseMs = stamp === 'any' ? r.int(0, 449) : stamp === 'second' ? r.int(0, 499) : 0;
  const inst: SimInstrument = {
    index, symbol: c.symbol, exchange: p.exchange, name: c.name, product: p, kind: c.kind, month: c.month,
    option: c.option, pre_close: ticksToPrice(preCloseT, tick), pre_settlement: preSettlement,
    pre_open_interest: preOi, limit_up: 0, limit_down: 0, limitRule, liquidity, phaseMs, stamp,
    volTicks, meanLots, seed: iseed, limitLocked: null, deepOtm, newListing: false,
  };
  setLimits(inst);
  // keep pre_close inside the limits
  const upT = Math.round(inst.limit_up / tick);
  const downT = Math.round(inst.limit_down / tick);
  inst.pre_close = ticksToPrice(Math.min(Math.max(preCloseT, downT), upT), tick);
  return inst;
}
