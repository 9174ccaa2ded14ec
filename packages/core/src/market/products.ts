/**
 * Product table and markets.json loading. The data file ships in packages/core/data and is found
 * relative to this module, so the same code works from src/ (tests, tsx) and dist/.
 */
import { readFileSync } from 'node:fs';
import { EXCHANGES, parseInstrumentId } from '@mdhub/protocol';
import type { Exchange } from '@mdhub/protocol';
import { MarketError } from './errors.js';
import type { AuctionRule, MarketData, ProductSpec, SessionTemplateId } from './types.js';

/** Every session template id, in the order of markets.json. */
export const SESSION_TEMPLATES: readonly SessionTemplateId[] = [
  'commodity_day', 'commodity_night_2300', 'commodity_night_0100', 'commodity_night_0230',
  'cffex_index', 'cffex_bond', 'cffex_index_option', 'etf_option',
];

const DEFAULT_DATA_URL = new URL('../../data/markets.json', import.meta.url);
const HHMM_RE = /^\d{2}:\d{2}$/;
const ISO_DAY_RE = /^(\d{4})-(\d{2})-(\d{2})$/;
const AUCTION_PHASES: readonly AuctionRule['phase'][] = ['night_open', 'day_open', 'open', 'close'];

type Json = Record<string, unknown>;

let cached: MarketData | undefined;
let cachedIndex: ProductIndex | undefined;

function bad(details: Record<string, unknown>): MarketError {
  return new MarketError('MDH_ERR_MARKET_BAD_DATA', details);
}

function isObject(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function isTemplate(v: unknown): v is SessionTemplateId {
  return typeof v === 'string' && (SESSION_TEMPLATES as readonly string[]).includes(v);
}

function isPositive(v: unknown): v is number {
  return typeof v === 'number' && Number.isFinite(v) && v > 0;
}

function hhmm(v: unknown, where: string): string {
  if (typeof v !== 'string' || !HHMM_RE.test(v)) throw bad({ where, value: v, expected: 'HH:MM' });
  return v;
}

function isoToDay(v: unknown, where: string): string {
  const m = typeof v === 'string' ? ISO_DAY_RE.exec(v) : null;
  if (!m) throw bad({ where, value: v, expected: 'YYYY-MM-DD' });
  return `${m[1]}${m[2]}${m[3]}`;
}

function pair(v: unknown, where: string): [string, string] {
  if (!Array.isArray(v) || v.length !== 2) throw bad({ where, value: v, expected: '[HH:MM, HH:MM]' });
  return [hhmm(v[0], where), hhmm(v[1], where)];
}

function parseSessions(raw: unknown): MarketData['sessions'] {
  if (!isObject(raw)) throw bad({ field: 'sessions', reason: 'missing' });
  const out = {} as MarketData['sessions'];
  for (const id of SESSION_TEMPLATES) {
    const segs = raw[id];
    if (!Array.isArray(segs) || segs.length === 0) throw bad({ field: 'sessions', template: id, reason: 'missing' });
    out[id] = segs.map((s, i) => pair(s, `sessions.${id}[${i}]`));
  }
  return out;
}

function parseAuctionRule(raw: unknown, where: string): AuctionRule {
  if (!isObject(raw) || typeof raw.phase !== 'string') throw bad({ where, reason: 'no phase' });
  const word = raw.phase.split(/[\s(]/)[0];
  const phase = AUCTION_PHASES.find((p) => p === word);
  if (!phase) throw bad({ where, phase: raw.phase });
  if (raw.order_entry !== undefined) {
    const [entryStart] = pair(raw.order_entry, where);
    const [matchStart, end] = pair(raw.match, where);
    return { phase, entryStart, matchStart, end };
  }
  const [entryStart, end] = pair(raw.window, where);
  const matchStart = raw.result_tick === undefined ? end : hhmm(raw.result_tick, where);
  return { phase, entryStart, matchStart, end };
}

function parseAuctions(raw: unknown): MarketData['auctions'] {
  if (!isObject(raw)) throw bad({ field: 'auctions', reason: 'missing' });
  const out = {} as MarketData['auctions'];
  for (const id of SESSION_TEMPLATES) {
    const key = id.startsWith('commodity_night_') ? 'commodity_night_*' : id;
    const rules = raw[key] ?? raw[id];
    if (rules !== undefined && !Array.isArray(rules)) throw bad({ field: 'auctions', template: id });
    out[id] = (rules ?? []).map((r: unknown, i: number) => parseAuctionRule(r, `auctions.${key}[${i}]`));
  }
  return out;
}

function daysOf(raw: unknown, field: string): string[] {
  if (!isObject(raw)) throw bad({ field, reason: 'missing' });
  const out: string[] = [];
  for (const [k, list] of Object.entries(raw)) {
    if (!Array.isArray(list)) throw bad({ field, key: k, reason: 'not a list' });
    list.forEach((d, i) => out.push(isoToDay(d, `${field}.${k}[${i}]`)));
  }
  return out.sort();
}

function holidayYears(raw: unknown): number[] {
  if (!isObject(raw)) throw bad({ field: 'holidays', reason: 'missing' });
  const years = Object.keys(raw).map(Number);
  if (years.length === 0 || years.some((y) => !Number.isInteger(y))) throw bad({ field: 'holidays', years: Object.keys(raw) });
  return years.sort((a, b) => a - b);
}

/** Price tick of a product; an option whose tick is explicitly null inherits its underlying future's tick. */
function tickOf(p: Json, all: readonly unknown[]): number | undefined {
  if (isPositive(p.price_tick)) return p.price_tick;
  if (p.price_tick !== null || p.kind !== 'option') return undefined;
  const und = all.find((q) => isObject(q) && q.exchange === p.exchange && q.product === p.underlying && q.kind === 'future');
  return isObject(und) && isPositive(und.price_tick) ? und.price_tick : undefined;
}

function productCode(key: string, kind: string, underlying: unknown): string {
  return kind === 'option' && key.endsWith('_o') && typeof underlying === 'string' ? underlying : key;
}

function parseProduct(raw: unknown, i: number, all: readonly unknown[]): ProductSpec {
  if (!isObject(raw)) throw bad({ field: 'products', index: i, reason: 'not an object' });
  const where = { field: 'products', index: i, product: raw.product, exchange: raw.exchange };
  const missing: string[] = [];
  if (typeof raw.exchange !== 'string' || !EXCHANGES.includes(raw.exchange as Exchange)) missing.push('exchange');
  if (typeof raw.product !== 'string' || raw.product === '') missing.push('product');
  if (raw.kind !== 'future' && raw.kind !== 'option') missing.push('kind');
  if (!isPositive(raw.multiplier)) missing.push('multiplier');
  const tick = tickOf(raw, all);
  if (tick === undefined) missing.push('price_tick');
  if (!isTemplate(raw.session)) missing.push('session');
  if (missing.length > 0) throw bad({ ...where, invalid: missing });
  return buildSpec(raw, tick as number);
}

function buildSpec(raw: Json, tick: number): ProductSpec {
  const key = raw.product as string;
  const kind = raw.kind as ProductSpec['kind'];
  const spec: ProductSpec = {
    exchange: raw.exchange as Exchange,
    product: productCode(key, kind, raw.underlying),
    kind,
    name_cn: typeof raw.name_cn === 'string' ? raw.name_cn : key,
    name_en: typeof raw.name_en === 'string' ? raw.name_en : key,
    multiplier: raw.multiplier as number,
    price_tick: tick,
    limit_pct: typeof raw.limit_pct_typical === 'number' ? raw.limit_pct_typical : null,
    session: raw.session as SessionTemplateId,
    key,
  };
  if (typeof raw.underlying === 'string') spec.underlying = raw.underlying;
  if (Array.isArray(raw.unconfirmed)) spec.unconfirmed = raw.unconfirmed.filter((u): u is string => typeof u === 'string');
  if (typeof raw.id_example === 'string') spec.id_example = raw.id_example;
  return Object.freeze(spec);
}

/**
 * Validates raw markets.json content. Throws MarketError MDH_ERR_MARKET_BAD_DATA (details name the
 * product and the invalid fields) when a product lacks a multiplier, tick or session, or when sessions,
 * auctions, holidays or the night-session lists are malformed. An option whose `price_tick` is
 * explicitly null (GFEX pt/pd options: tick not found) inherits its underlying future's tick and keeps
 * `price_tick` in `unconfirmed`.
 */
export function parseMarketData(raw: unknown): MarketData {
  if (!isObject(raw)) throw bad({ reason: 'not an object' });
  if (!Array.isArray(raw.products) || raw.products.length === 0) throw bad({ field: 'products', reason: 'missing' });
  const all = raw.products;
  return {
    version: typeof raw.version === 'string' ? raw.version : 'unknown',
    sessions: parseSessions(raw.sessions),
    auctions: parseAuctions(raw.auctions),
    products: all.map((p, i) => parseProduct(p, i, all)),
    holidays: daysOf(raw.holidays, 'holidays'),
    holidayYears: holidayYears(raw.holidays),
    noNightEvenings: daysOf(raw.no_night_session_evenings, 'no_night_session_evenings'),
    firstTradingDayAfterClosure: daysOf(raw.first_trading_day_after_closure, 'first_trading_day_after_closure'),
  };
}

function readJson(source: URL | string): unknown {
  let text: string;
  try {
    text = readFileSync(source, 'utf8');
  } catch (err) {
    throw new MarketError('MDH_ERR_MARKET_BAD_DATA', { path: String(source), reason: 'unreadable' }, err);
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    throw new MarketError('MDH_ERR_MARKET_BAD_DATA', { path: String(source), reason: 'not JSON' }, err);
  }
}

/**
 * Reads and validates markets.json. Without an argument it reads the packaged file
 * (`new URL('../../data/markets.json', import.meta.url)`, valid from src/ and dist/) once and caches it.
 * Throws MarketError MDH_ERR_MARKET_BAD_DATA when the file is unreadable or invalid.
 */
export function loadMarketData(source?: URL | string): MarketData {
  if (source !== undefined) return parseMarketData(readJson(source));
  cached ??= parseMarketData(readJson(DEFAULT_DATA_URL));
  return cached;
}

interface ProductIndex {
  byKey: Map<string, ProductSpec>;
  byCode: Map<string, ProductSpec>;
}

function indexKey(exchange: string, code: string, kind?: string): string {
  return kind === undefined ? `${exchange}|${code}` : `${exchange}|${code}|${kind}`;
}

function productIndex(): ProductIndex {
  if (cachedIndex) return cachedIndex;
  const byKey = new Map<string, ProductSpec>();
  const byCode = new Map<string, ProductSpec>();
  for (const p of loadMarketData().products) {
    byKey.set(indexKey(p.exchange, p.key ?? p.product), p);
    const codeKey = indexKey(p.exchange, p.product, p.kind);
    if (!byCode.has(codeKey)) byCode.set(codeKey, p);
  }
  cachedIndex = { byKey, byCode };
  return cachedIndex;
}

/** All products of the packaged markets.json (futures, then options, in file order). */
export function listProducts(): ProductSpec[] {
  return [...loadMarketData().products];
}

/**
 * A product by exchange and code. `productCode` is either the markets.json key (`m_o`, `l_f`, `rb`) or
 * the product code (`m`); with a product code shared by a future and its options, `kind` picks one and
 * the future is returned when `kind` is omitted.
 */
export function findProduct(exchange: Exchange, productCode: string, kind?: ProductSpec['kind']): ProductSpec | undefined {
  const idx = productIndex();
  if (kind !== undefined) return idx.byCode.get(indexKey(exchange, productCode, kind));
  return idx.byKey.get(indexKey(exchange, productCode)) ?? idx.byCode.get(indexKey(exchange, productCode, 'future'));
}

function etfOption(exchange: 'SSE' | 'SZSE', symbol: string, hint?: string): ProductSpec | undefined {
  if (!(exchange === 'SSE' ? /^1\d{7}$/ : /^9\d{7}$/).test(symbol)) return undefined;
  const options = loadMarketData().products.filter((p) => p.exchange === exchange && p.kind === 'option');
  return options.find((p) => hint !== undefined && (p.product === hint || p.underlying === hint)) ?? options[0];
}

/**
 * The product of an instrument id on an exchange, per markets.json instrument_id_rules:
 * SHFE/INE/DCE/GFEX `rb2605`, options `cu2605C80000` / `m2605-C-3000` (both forms accepted on these
 * exchanges); CZCE `SR605` (3 digits, 4 accepted), options `SR605C6000`; CFFEX `IF2512`, options
 * `IO2512-C-4000`; DCE monthly-average futures `l_f2609` or `L2602F`. SSE (`1xxxxxxx`) and SZSE
 * (`9xxxxxxx`) option ids do not name their underlying: `hint` (an underlying code such as `510300`)
 * selects it, otherwise the exchange's first ETF option product is returned. Undefined when the id does
 * not fit the exchange's form or the product is not in the table.
 */
export function productOfSymbol(symbol: string, exchange: Exchange, hint?: string): ProductSpec | undefined {
  if (exchange === 'SSE' || exchange === 'SZSE') return etfOption(exchange, symbol, hint);
  const parsed = parseInstrumentId(symbol, exchange);
  if (!parsed) return undefined;
  const p = findProduct(exchange, parsed.code);
  return p?.kind === parsed.kind ? p : undefined;
}
