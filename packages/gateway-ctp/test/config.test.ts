/**
 * The gateway's configuration schema and its reference data: front addresses (vn.py's tcp:// rule),
 * vendor field limits, instrument patterns checked against the gateway's exchanges; reference files in
 * CSV (quoting, a BOM, GBK, the vendor's field names) and JSON, with named errors naming the line and the
 * field; the product table's candidate futures (each exchange's id rule); pattern resolution.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { z } from 'zod';
import { CatalogError } from '@mdhub/protocol';
import { plugin as ctpPlugin, parseReferenceCsv, parseReferenceJson, readReferenceFile } from '../src/index.js';
import { SOPT_PLUGIN_OPTIONS, candidateFutures, csvRows, makeGatewayPlugin, normalizeFront, resolveUniverse } from '../src/internal.js';

const sopt = makeGatewayPlugin(SOPT_PLUGIN_OPTIONS);
const base = { library: '/opt/ctp/libthostmduserapi_se.so', fronts: ['180.168.146.187:10211'] };
const issues = (r: { success: boolean; error?: { issues: Array<{ path: PropertyKey[]; message: string }> } }): string[] =>
  r.success ? [] : r.error!.issues.map((i) => `${i.path.join('.')}: ${i.message}`);

function refErr(fn: () => unknown): Record<string, unknown> {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(CatalogError);
    expect((err as CatalogError).code).toBe('MDH_ERR_CTP_REFERENCE_INVALID');
    return (err as CatalogError).details;
  }
  throw new Error('no error');
}

describe('configuration schema', () => {
  it('applies the defaults and prefixes tcp:// as vn.py does (ssl:// and socks:// kept)', () => {
    const c = ctpPlugin.configSchema.parse(base);
    expect(c).toMatchObject({ flavour: 'ctp-6.7.7', fronts: ['tcp://180.168.146.187:10211'], instruments: 'all', production_mode: true, simulated: false, subscribe: { batch_size: 200, interval_ms: 20 } });
    expect(normalizeFront('ssl://md.example.com:443')).toBe('ssl://md.example.com:443');
    expect(normalizeFront(' tcp://10.0.0.1:41213 ')).toBe('tcp://10.0.0.1:41213');
    expect(sopt.configSchema.parse(base)).toMatchObject({ flavour: 'sopt' });
  });

  it('refuses bad fronts, values longer than the vendor fields, flavours of the other plugin, and patterns of other exchanges', () => {
    expect(issues(ctpPlugin.configSchema.safeParse({ ...base, fronts: ['tcp://host-without-port'] }))).toEqual(['fronts.0: a front is tcp://HOST:PORT (or ssl://, socks://)']);
    expect(issues(ctpPlugin.configSchema.safeParse({ ...base, fronts: [] }))[0]).toMatch(/^fronts:/);
    expect(issues(ctpPlugin.configSchema.safeParse({ ...base, user_id: 'u'.repeat(16) }))[0]).toMatch(/^user_id:/);
    expect(issues(ctpPlugin.configSchema.safeParse({ ...base, password: 'p'.repeat(41) }))[0]).toMatch(/^password:/);
    expect(issues(ctpPlugin.configSchema.safeParse({ ...base, flavour: 'sopt' }))[0]).toMatch(/^flavour:/);
    expect(issues(sopt.configSchema.safeParse({ ...base, flavour: 'ctp-6.7.7' }))[0]).toMatch(/^flavour:/);
    expect(issues(ctpPlugin.configSchema.safeParse({ ...base, instruments: ['*.SSE'] }))).toEqual(["instruments.0: *.SSE: this gateway's fronts serve SHFE, INE, DCE, CZCE, CFFEX, GFEX, not SSE"]);
    expect(issues(sopt.configSchema.safeParse({ ...base, instruments: ['rb*.SHFE'] }))[0]).toMatch(/serve SSE, SZSE, not SHFE/);
    expect(issues(ctpPlugin.configSchema.safeParse({ ...base, instruments: ['rb*'] }))[0]).toMatch(/^instruments.0: expected all/);
    expect(issues(ctpPlugin.configSchema.safeParse({ ...base, unknown_key: 1 }))[0]).toMatch(/unknown_key/);
    // A stored gateway row holds no account fields: the hub validates it with them left out.
    expect((ctpPlugin.configSchema as unknown as z.ZodObject).omit({ fronts: true, broker_id: true, user_id: true, password: true, app_id: true, auth_code: true }).safeParse({ library: base.library }).success).toBe(true);
  });
});

describe('reference files', () => {
  it('CSV: a header naming the columns (ours or the vendor field names), quoted fields, a BOM, comments and blank lines', () => {
    const rows = parseReferenceCsv('\uFEFFInstrumentID,ExchangeID,InstrumentName,ProductClass,VolumeMultiple,PriceTick,ExpireDate\n# a comment\n\nrb2701,SHFE,"螺纹钢2701",1,10,1,20270115\n"m2701-C-3000",dce,"豆粕购2701, 3000",2,10,0.5,2026-12-07\n');
    expect(rows).toEqual([
      { symbol: 'rb2701', exchange: 'SHFE', name: '螺纹钢2701', kind: 'future', multiplier: 10, price_tick: 1, expiry: '20270115' },
      { symbol: 'm2701-C-3000', exchange: 'DCE', name: '豆粕购2701, 3000', kind: 'option', multiplier: 10, price_tick: 0.5, expiry: '20261207' },
    ]);
    expect(csvRows('a,"b ""q"" c"\r\nd,e')).toEqual([['a', 'b "q" c'], ['d', 'e']]);
  });

  it('a GBK file is read as GBK; JSON as an array or {instruments: [...]}', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mdhub-ref-'));
    const gbk = Buffer.concat([Buffer.from('symbol,exchange,name\nSR701,CZCE,'), Buffer.from([0xb0, 0xd7, 0xcc, 0xc7]), Buffer.from('701\n')]); // 白糖 in GBK
    fs.writeFileSync(path.join(dir, 'gbk.csv'), gbk);
    expect(readReferenceFile(path.join(dir, 'gbk.csv'))).toEqual([{ symbol: 'SR701', exchange: 'CZCE', name: '白糖701' }]);
    fs.writeFileSync(path.join(dir, 'r.json'), JSON.stringify({ instruments: [{ symbol: '10008123', exchange: 'SSE', option_type: 'call', strike: 3, underlying: '510050', expiry: '20261223' }] }));
    expect(readReferenceFile(path.join(dir, 'r.json'))).toEqual([{ symbol: '10008123', exchange: 'SSE', option_type: 'call', strike: 3, underlying: '510050', expiry: '20261223' }]);
    expect(parseReferenceJson('[{"InstrumentID":"IF2612","ExchangeID":"CFFEX","OptionsType":"2"}]')).toEqual([{ symbol: 'IF2612', exchange: 'CFFEX', option_type: 'put' }]);
  });

  it('a bad row is a named error naming the file, the line and the field', () => {
    expect(refErr(() => parseReferenceCsv('symbol,exchange\nrb2701,SHFE\nrb2705,NYSE\n', 'x.csv'))).toMatchObject({ file: 'x.csv', line: 3, field: 'exchange' });
    expect(refErr(() => parseReferenceCsv('symbol,exchange,expiry\nrb2701,SHFE,20270230\n'))).toMatchObject({ line: 2, field: 'expiry' });
    expect(refErr(() => parseReferenceCsv('symbol,exchange,multiplier\nrb2701,SHFE,-5\n'))).toMatchObject({ field: 'multiplier' });
    expect(refErr(() => parseReferenceCsv('symbol,exchange\nrb 2701,SHFE\n'))).toMatchObject({ field: 'symbol' });
    expect(refErr(() => parseReferenceCsv('rb2701,SHFE\n'))).toMatchObject({ field: '(header)' });
    expect(refErr(() => parseReferenceJson('{"a":1}'))).toMatchObject({ field: '(file)' });
    expect(refErr(() => parseReferenceJson('[1]'))).toMatchObject({ line: 1, field: '(row)' });
    expect(refErr(() => readReferenceFile('/nope/instruments.csv'))).toMatchObject({ reason: 'no such file' });
  });
});

describe('subscription universe', () => {
  it('without a file: the next twelve months of every futures product, by each exchange\'s id rule', () => {
    const c = candidateFutures('20261125', ['SHFE', 'CZCE', 'CFFEX']);
    const rb = c.filter((r) => r.product === 'rb').map((r) => r.symbol);
    expect(rb).toEqual(['rb2611', 'rb2612', 'rb2701', 'rb2702', 'rb2703', 'rb2704', 'rb2705', 'rb2706', 'rb2707', 'rb2708', 'rb2709', 'rb2710']);
    expect(c.filter((r) => r.product === 'SR').map((r) => r.symbol).slice(0, 3)).toEqual(['SR611', 'SR612', 'SR701']);
    expect(c.find((r) => r.symbol === 'IF2612')).toMatchObject({ exchange: 'CFFEX', kind: 'future', multiplier: 300, expiry: null });
    expect(c.every((r) => ['SHFE', 'CZCE', 'CFFEX'].includes(r.exchange))).toBe(true);
  });

  it('patterns pick from the universe by exact product code (c* is not cs); explicit ids always; expired rows and other exchanges left out', () => {
    const reference = parseReferenceCsv('symbol,exchange,expiry\nc2701,DCE,20270115\ncs2701,DCE,20270115\nc2609,DCE,20260915\nrb2701,SHFE,\n10008123,SSE,20261223\nc2701,DCE,\n');
    const u = resolveUniverse({ instruments: ['c*.DCE', 'ag2712.SHFE'], exchanges: ['SHFE', 'DCE'], reference, tradingDay: '20261125' });
    expect(u.list.map((r) => `${r.symbol}.${r.exchange}`)).toEqual(['c2701.DCE', 'ag2712.SHFE']);
    expect(u.list[1]).toMatchObject({ product: 'ag', kind: 'future' }); // product facts filled in from the table
    expect(u).toMatchObject({ source: 'reference_file', expired: 1, duplicates: 1, outside: 1 });
    const all = resolveUniverse({ instruments: 'all', exchanges: ['SHFE', 'DCE'], reference, tradingDay: '20261125' });
    expect(all.list.map((r) => r.symbol)).toEqual(['c2701', 'cs2701', 'rb2701']);
    expect(resolveUniverse({ instruments: ['*.SHFE'], exchanges: ['SHFE', 'DCE'], reference, tradingDay: '20261125' }).list.map((r) => r.symbol)).toEqual(['rb2701']);
  });
});
