/**
 * Reference data and the subscription universe. mdhub never uses the vendor's trader API (Decisions), and
 * the market-data push often lacks the exchange, so instrument → exchange, name, tick, multiplier and
 * expiry come from the product table plus a reference file the user supplies (CSV or JSON, documented
 * in docs/gateways/ctp.md). Without a file, futures patterns resolve to the next twelve monthly
 * contracts of each product, with ids built by the exchange's rule (a front accepts a subscription to an
 * id that is not listed and never sends it); options and SSE/SZSE need the file.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Exchange } from '@mdhub/protocol';
import { EXCHANGES } from '@mdhub/protocol';
import type { InstrumentRef, ProductSpec } from '@mdhub/core/plugin';
import { listProducts, matchesPattern, parseInstrumentPattern, productOfSymbol } from '@mdhub/core/plugin';
import { CtpError } from './errors.js';

const SYMBOL = /^[A-Za-z0-9][A-Za-z0-9_\-.]{0,39}$/;
const DAY = /^(\d{4})(\d{2})(\d{2})$/;

/** Column names accepted in a reference file: ours, and the vendor's instrument-query field names. */
const COLUMNS: Record<string, keyof InstrumentRef> = {
  symbol: 'symbol', instrument_id: 'symbol', instrumentid: 'symbol',
  exchange: 'exchange', exchange_id: 'exchange', exchangeid: 'exchange',
  name: 'name', instrument_name: 'name', instrumentname: 'name',
  product: 'product', product_id: 'product', productid: 'product',
  kind: 'kind', product_class: 'kind', productclass: 'kind',
  price_tick: 'price_tick', pricetick: 'price_tick',
  multiplier: 'multiplier', volume_multiple: 'multiplier', volumemultiple: 'multiplier', size: 'multiplier',
  expiry: 'expiry', expire_date: 'expiry', expiredate: 'expiry',
  underlying: 'underlying', underlying_instr_id: 'underlying', underlyinginstrid: 'underlying',
  option_type: 'option_type', options_type: 'option_type', optionstype: 'option_type',
  strike: 'strike', strike_price: 'strike', strikeprice: 'strike',
};

const bad = (file: string, line: number, field: string, reason: string): CtpError =>
  new CtpError('MDH_ERR_CTP_REFERENCE_INVALID', { file, line, field, reason });

/** Decodes a file's bytes: UTF-8 (a BOM is dropped), else GBK (what Chinese tools often write). */
function decodeText(bytes: Buffer): string {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes).replace(/^\uFEFF/, '');
  } catch {
    return new TextDecoder('gbk').decode(bytes);
  }
}

/** One row (column → raw value) as an InstrumentRef, or a named error for the row's line. */
function toRef(raw: Record<string, unknown>, file: string, line: number): InstrumentRef {
  const text = (k: string): string => {
    const v = raw[k];
    return v === undefined || v === null ? '' : String(v).trim();
  };
  const symbol = text('symbol');
  if (!SYMBOL.test(symbol)) throw bad(file, line, 'symbol', symbol === '' ? 'missing' : `"${symbol}" is not an instrument id`);
  const exchange = text('exchange').toUpperCase();
  if (!(EXCHANGES as readonly string[]).includes(exchange)) throw bad(file, line, 'exchange', `"${exchange}" is not one of ${EXCHANGES.join(', ')}`);
  const ref: InstrumentRef = { symbol, exchange: exchange as Exchange };
  const name = text('name');
  if (name !== '') ref.name = name.slice(0, 80);
  const product = text('product');
  if (product !== '') ref.product = product.slice(0, 20);
  const kind = text('kind').toLowerCase();
  if (kind !== '') {
    // ProductClass: '1' futures, '2' options (vendor field values are accepted as they are dumped).
    if (kind === 'future' || kind === 'futures' || kind === '1') ref.kind = 'future';
    else if (kind === 'option' || kind === 'options' || kind === '2') ref.kind = 'option';
    else throw bad(file, line, 'kind', `"${kind}": future or option`);
  }
  for (const f of ['price_tick', 'multiplier', 'strike'] as const) {
    const v = text(f);
    if (v === '') continue;
    const n = Number(v);
    if (!Number.isFinite(n) || n <= 0) throw bad(file, line, f, `"${v}" is not a positive number`);
    ref[f] = n;
  }
  const expiry = text('expiry').replace(/-/g, '');
  if (expiry !== '') {
    const m = DAY.exec(expiry);
    const d = m ? new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]))) : null;
    if (!m || !d || d.getUTCMonth() !== Number(m[2]) - 1 || d.getUTCDate() !== Number(m[3])) throw bad(file, line, 'expiry', `"${expiry}" is not a date YYYYMMDD`);
    ref.expiry = expiry;
  }
  const underlying = text('underlying');
  if (underlying !== '') ref.underlying = underlying.slice(0, 40);
  const ot = text('option_type').toLowerCase();
  if (ot !== '') {
    // OptionsType: '1' call, '2' put.
    if (ot === 'call' || ot === 'c' || ot === '1') ref.option_type = 'call';
    else if (ot === 'put' || ot === 'p' || ot === '2') ref.option_type = 'put';
    else throw bad(file, line, 'option_type', `"${ot}": call or put`);
  }
  return ref;
}

/** Splits CSV text into rows of fields (RFC 4180 quoting: "a,b" and "" inside quotes). */
export function csvRows(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (quoted) {
      if (ch === '"') {
        if (text[i + 1] === '"') { field += '"'; i++; } else quoted = false;
      } else field += ch;
    } else if (ch === '"' && field === '') quoted = true;
    else if (ch === ',') { row.push(field); field = ''; }
    else if (ch === '\n' || ch === '\r') {
      if (ch === '\r' && text[i + 1] === '\n') i++;
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
    } else field += ch;
  }
  if (field !== '' || row.length > 0) { row.push(field); rows.push(row); }
  return rows;
}

/** Parses a reference CSV: a header row naming the columns, then one instrument per row (blank lines and `#` lines skipped). */
export function parseReferenceCsv(text: string, file = '(csv)'): InstrumentRef[] {
  const rows = csvRows(text);
  let lineOf = 0;
  let header: Array<keyof InstrumentRef | null> | null = null;
  const out: InstrumentRef[] = [];
  for (const r of rows) {
    lineOf++;
    if (r.every((f) => f.trim() === '') || r[0]!.trim().startsWith('#')) continue;
    if (header === null) {
      header = r.map((h) => COLUMNS[h.trim().toLowerCase().replace(/[\s-]/g, '_')] ?? null);
      if (!header.includes('symbol') || !header.includes('exchange')) throw bad(file, lineOf, '(header)', 'the first row must name the columns, symbol and exchange among them');
      continue;
    }
    const raw: Record<string, unknown> = {};
    r.forEach((v, i) => { const k = header![i]; if (k) raw[k] = v; });
    out.push(toRef(raw, file, lineOf));
  }
  return out;
}

/** Parses a reference JSON: an array of instrument objects, or `{ "instruments": [...] }` (same field names as the CSV columns). */
export function parseReferenceJson(text: string, file = '(json)'): InstrumentRef[] {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    throw bad(file, 0, '(file)', `not JSON: ${(err as Error).message}`);
  }
  const list = Array.isArray(doc) ? doc : (doc as { instruments?: unknown })?.instruments;
  if (!Array.isArray(list)) throw bad(file, 0, '(file)', 'expected an array of instruments, or {"instruments": [...]}');
  return list.map((o, i) => {
    if (typeof o !== 'object' || o === null) throw bad(file, i + 1, '(row)', 'not an object');
    const raw: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(o)) {
      const key = COLUMNS[k.toLowerCase()];
      if (key) raw[key] = v;
    }
    return toRef(raw, file, i + 1);
  });
}

/** Reads a reference file (`.json`, else CSV), UTF-8 or GBK. */
export function readReferenceFile(file: string): InstrumentRef[] {
  let bytes: Buffer;
  try {
    bytes = fs.readFileSync(file);
  } catch (err) {
    throw bad(file, 0, '(file)', (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (err as Error).message);
  }
  const text = decodeText(bytes);
  return path.extname(file).toLowerCase() === '.json' ? parseReferenceJson(text, file) : parseReferenceCsv(text, file);
}

/** Contract id of a futures product for a month (`YYMM`), by the exchange's rule: rb2701, SR701, IF2701. */
export function futureId(p: ProductSpec, yymm: string): string {
  return p.exchange === 'CZCE' ? `${p.product}${yymm.slice(1)}` : `${p.product}${yymm}`;
}

/**
 * Candidate futures of the product table on `exchanges`: each product's next twelve monthly contracts
 * from the trading day's month (the month of the trading day included). DCE monthly-average futures are
 * left out (their CTP id form is unconfirmed).
 */
export function candidateFutures(tradingDay: string, exchanges: readonly Exchange[]): InstrumentRef[] {
  const y = Number(tradingDay.slice(0, 4));
  const m = Number(tradingDay.slice(4, 6)) - 1;
  const out: InstrumentRef[] = [];
  for (const p of listProducts()) {
    if (p.kind !== 'future' || !exchanges.includes(p.exchange) || (p.key ?? '').endsWith('_f')) continue;
    for (let k = 0; k < 12; k++) {
      const yy = (y + Math.floor((m + k) / 12)) % 100;
      const mm = ((m + k) % 12) + 1;
      const yymm = `${String(yy).padStart(2, '0')}${String(mm).padStart(2, '0')}`;
      out.push({ symbol: futureId(p, yymm), exchange: p.exchange, name: `${p.name_cn}${yymm}`, product: p.product, kind: 'future', price_tick: p.price_tick, multiplier: p.multiplier, expiry: null });
    }
  }
  return out;
}

export interface Universe {
  /** The instruments to subscribe, in order, with reference data. */
  list: InstrumentRef[];
  /** Where the list came from, and what was left out (logged at start). */
  source: 'reference_file' | 'product_table';
  expired: number;
  duplicates: number;
  outside: number;
}

/**
 * Resolves the `instruments` setting (`all` or patterns: `rb*.SHFE`, `*.DCE`, `rb2701.SHFE`) against the
 * universe: the reference file's rows when given (expired ones left out), else the product table's
 * candidate futures. An explicit instrument is kept even when the universe lacks it. Only `exchanges`
 * (the gateway's: futures exchanges for CTP, SSE/SZSE for SOPT) are subscribed.
 */
export function resolveUniverse(opts: {
  instruments: 'all' | readonly string[];
  exchanges: readonly Exchange[];
  reference: InstrumentRef[] | null;
  tradingDay: string;
}): Universe {
  const { exchanges, tradingDay } = opts;
  let expired = 0;
  let duplicates = 0;
  let outside = 0;
  const byVt = new Map<string, InstrumentRef>();
  const rows = opts.reference ?? candidateFutures(tradingDay, exchanges);
  for (const r of rows) {
    if (!exchanges.includes(r.exchange)) { outside++; continue; }
    if (r.expiry && r.expiry < tradingDay) { expired++; continue; }
    const vt = `${r.symbol}.${r.exchange}`;
    if (byVt.has(vt)) { duplicates++; continue; }
    byVt.set(vt, withProductFacts(r));
  }
  const universe = [...byVt.values()];
  let list: InstrumentRef[];
  if (opts.instruments === 'all') list = universe;
  else {
    const picked = new Map<string, InstrumentRef>();
    for (const text of opts.instruments) {
      const p = parseInstrumentPattern(text);
      if (p.kind === 'instrument') {
        const vt = `${p.symbol}.${p.exchange}`;
        picked.set(vt, byVt.get(vt) ?? withProductFacts({ symbol: p.symbol, exchange: p.exchange }));
        continue;
      }
      for (const r of universe) if (matchesPattern(p, r.symbol, r.exchange)) picked.set(`${r.symbol}.${r.exchange}`, r);
    }
    list = [...picked.values()];
  }
  return { list, source: opts.reference ? 'reference_file' : 'product_table', expired, duplicates, outside };
}

/** Fills what the row lacks from the product table (product, kind, tick, multiplier). */
function withProductFacts(r: InstrumentRef): InstrumentRef {
  const p = productOfSymbol(r.symbol, r.exchange, r.underlying ?? r.product);
  if (!p) return r;
  return {
    ...r,
    product: r.product ?? p.product,
    kind: r.kind ?? p.kind,
    price_tick: r.price_tick ?? p.price_tick,
    multiplier: r.multiplier ?? p.multiplier,
  };
}
