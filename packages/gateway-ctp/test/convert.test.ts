/**
 * Conversion vectors, derived by hand from the vendor ABI spec (§6 layouts, §8 vn.py's rules) and
 * markets.md §5 (exchange timestamp and turnover quirks): never recorded from mdhub's own simulator. Each
 * vector is a depth struct built byte by byte at the spec's offsets, run through the binding's real
 * struct conversion (`decodeDepth`, the code a vendor callback's copy goes through) and then the
 * gateway's converter (vn.py's rules through `vendorTime`), and compared with the tick worked out by hand.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { MarketTick } from '@mdhub/protocol';
import { TradingCalendar, loadMarketData } from '@mdhub/core/plugin';
import { simLibrary } from '@mdhub/vendor-sim';
import { DepthConverter, czceTurnover, openSession } from '../src/internal.js';
import type { DepthEvent, Flavour, NativeSession } from '../src/internal.js';
import { REQUIRE_ALL, unavailable } from './helpers.js';

const DBL_MAX = 1.7976931348623157e308;
const at = (iso: string): number => Date.parse(iso);

/** Offsets of CThostFtdcDepthMarketDataField (spec §6): CTP 6.7.7 / 6.7.11 (584 bytes) and SOPT 3.7 (440). */
const NUMBERS: Record<string, [number, 'f64' | 'i32']> = {
  LastPrice: [80, 'f64'], PreSettlementPrice: [88, 'f64'], PreClosePrice: [96, 'f64'], PreOpenInterest: [104, 'f64'],
  OpenPrice: [112, 'f64'], HighestPrice: [120, 'f64'], LowestPrice: [128, 'f64'], Volume: [136, 'i32'], Turnover: [144, 'f64'],
  OpenInterest: [152, 'f64'], ClosePrice: [160, 'f64'], SettlementPrice: [168, 'f64'], UpperLimitPrice: [176, 'f64'], LowerLimitPrice: [184, 'f64'],
  UpdateMillisec: [220, 'i32'],
  BidPrice1: [224, 'f64'], BidVolume1: [232, 'i32'], AskPrice1: [240, 'f64'], AskVolume1: [248, 'i32'],
  BidPrice2: [256, 'f64'], BidVolume2: [264, 'i32'], AskPrice2: [272, 'f64'], AskVolume2: [280, 'i32'],
  BidPrice3: [288, 'f64'], BidVolume3: [296, 'i32'], AskPrice3: [304, 'f64'], AskVolume3: [312, 'i32'],
  BidPrice4: [320, 'f64'], BidVolume4: [328, 'i32'], AskPrice4: [336, 'f64'], AskVolume4: [344, 'i32'],
  BidPrice5: [352, 'f64'], BidVolume5: [360, 'i32'], AskPrice5: [368, 'f64'], AskVolume5: [376, 'i32'],
  AveragePrice: [384, 'f64'],
};
const CTP_TEXT: Record<string, [number, number]> = { TradingDay: [0, 9], ExchangeID: [40, 9], UpdateTime: [208, 9], ActionDay: [392, 9], InstrumentID: [401, 81] };
const SOPT_TEXT: Record<string, [number, number]> = { TradingDay: [0, 9], InstrumentID: [9, 31], ExchangeID: [40, 9], UpdateTime: [208, 9], ActionDay: [392, 9] };

/** A depth struct: every price absent (DBL_MAX, as fronts send it), every volume 0, then `f`. */
function depth(flavour: Flavour, f: Record<string, number | string | bigint>): Buffer {
  const sopt = flavour === 'sopt';
  const b = Buffer.alloc(sopt ? 440 : 584);
  for (const [name, [off, type]] of Object.entries(NUMBERS)) if (type === 'f64' && /Price/.test(name)) b.writeDoubleLE(DBL_MAX, off);
  for (const [name, v] of Object.entries(f)) {
    const text = (sopt ? SOPT_TEXT : CTP_TEXT)[name];
    if (text) {
      b.write(String(v), text[0], Math.min(String(v).length, text[1] - 1), 'latin1');
      continue;
    }
    if (name === 'BigVolume') {
      b.writeBigInt64LE(BigInt(v), 432); // SOPT only
      continue;
    }
    const [off, type] = NUMBERS[name]!;
    if (type === 'f64') b.writeDoubleLE(Number(v), off);
    else b.writeInt32LE(Number(v), off);
  }
  return b;
}

/** A tick with every market number 0, then `f` (what each vector expects). */
function tick(f: Partial<MarketTick>): MarketTick {
  const t: Record<string, unknown> = { name: '', gateway_name: 'ctp-a', last_volume: 0 };
  for (const k of ['volume', 'turnover', 'open_interest', 'last_price', 'limit_up', 'limit_down', 'open_price', 'high_price', 'low_price', 'pre_close', 'pre_settlement',
    'settlement', 'average_price', 'pre_open_interest']) t[k] = 0;
  for (const s of ['bid', 'ask']) for (let i = 1; i <= 5; i++) { t[`${s}_price_${i}`] = 0; t[`${s}_volume_${i}`] = 0; }
  return { ...(t as unknown as MarketTick), ...f };
}

const calendar = new TradingCalendar(loadMarketData());
const sessions: NativeSession[] = [];
afterAll(async () => { for (const s of sessions.splice(0)) await s.release(); });

function session(flavour: Flavour): NativeSession {
  const flow = `${fs.mkdtempSync(path.join(os.tmpdir(), 'mdhub-vec-'))}/`;
  const s = openSession({ library: simLibrary(flavour), flavour, flowPath: flow, productionMode: true, onEvents: () => {} });
  sessions.push(s);
  return s;
}

describe.skipIf(unavailable !== null && !REQUIRE_ALL)('conversion vectors (hand-derived; the binding and the converter)', () => {
  if (unavailable !== null) {
    it('the binding and the simulator libraries are built (MDHUB_REQUIRE_ALL=1)', () => { throw new Error(String(unavailable)); });
    return;
  }
  const ctp = session('ctp-6.7.7');
  const sopt = session('sopt');
  const conv = new DepthConverter(calendar, 'ctp-a', 'ctp-6.7.7');
  conv.setInstruments([
    { symbol: 'rb2701', exchange: 'SHFE', name: '螺纹钢2701' },
    { symbol: 'cu2701', exchange: 'SHFE', name: '铜2701' },
    { symbol: 'm2701', exchange: 'DCE', name: '豆粕2701' },
    { symbol: 'SR701', exchange: 'CZCE', name: '白糖701' },
  ]);
  const run = (bytes: Buffer, localIso: string, c = conv, s = ctp): MarketTick | string => c.convert(s.decodeDepth(bytes), at(localIso));

  it('SHFE day snapshot: exchange from the reference (ExchangeID blank), .500 ms, absent prices and levels 2–5 as 0, last_volume from the previous snapshot', () => {
    const base = {
      InstrumentID: 'rb2701', TradingDay: '20261125', ActionDay: '20261125', UpdateTime: '09:35:01', UpdateMillisec: 500,
      LastPrice: 3120, PreSettlementPrice: 3110, PreClosePrice: 3105, PreOpenInterest: 1_800_000, OpenPrice: 3100, HighestPrice: 3130, LowestPrice: 3095,
      Volume: 123_456, Turnover: 3_845_000_000, OpenInterest: 1_801_234, UpperLimitPrice: 3340, LowerLimitPrice: 2900,
      BidPrice1: 3119, BidVolume1: 88, AskPrice1: 3120, AskVolume1: 7, AveragePrice: 31_145.5,
      BidPrice2: 3118, AskPrice2: 3121, // prices without volumes at level 2: vn.py copies levels 2–5 only when BidVolume2 or AskVolume2 is non-zero
    };
    const expected = tick({
      symbol: 'rb2701', exchange: 'SHFE', name: '螺纹钢2701', datetime: at('2026-11-25T09:35:01.500+08:00'), trading_day: '20261125',
      last_price: 3120, pre_settlement: 3110, pre_close: 3105, pre_open_interest: 1_800_000, open_price: 3100, high_price: 3130, low_price: 3095,
      volume: 123_456, turnover: 3_845_000_000, open_interest: 1_801_234, limit_up: 3340, limit_down: 2900,
      bid_price_1: 3119, bid_volume_1: 88, ask_price_1: 3120, ask_volume_1: 7, average_price: 31_145.5,
      settlement: 0, // SettlementPrice DBL_MAX
      localtime: at('2026-11-25T09:35:01.530+08:00'),
    });
    expect(run(depth('ctp-6.7.7', base), '2026-11-25T09:35:01.530+08:00')).toEqual(expected);
    // The next snapshot: 14 lots traded since.
    const next = run(depth('ctp-6.7.7', { ...base, UpdateTime: '09:35:02', UpdateMillisec: 0, Volume: 123_470 }), '2026-11-25T09:35:02.020+08:00') as MarketTick;
    expect([next.datetime, next.volume, next.last_volume]).toEqual([at('2026-11-25T09:35:02.000+08:00'), 123_470, 14]);
  });

  it('DCE Friday night: ActionDay carries Monday (ignored), any millisecond zero-padded (85 → .085), trading day Monday; level 2 copied when its volume is non-zero', () => {
    const t = run(depth('ctp-6.7.7', {
      InstrumentID: 'm2701', TradingDay: '20261130', ActionDay: '20261130', UpdateTime: '21:30:00', UpdateMillisec: 85,
      LastPrice: 2950, Volume: 5000, BidPrice1: 2949, BidVolume1: 30, AskPrice1: 2950, AskVolume1: 12, BidPrice2: 2948, BidVolume2: 40, AskVolume2: 0,
    }), '2026-11-27T21:30:00.120+08:00') as MarketTick;
    expect(t.datetime).toBe(at('2026-11-27T21:30:00.085+08:00'));
    expect(t.trading_day).toBe('20261130');
    expect([t.bid_price_2, t.bid_volume_2, t.ask_price_2, t.ask_volume_2]).toEqual([2948, 40, 0, 0]); // AskPrice2 DBL_MAX → 0
    expect([t.exchange, t.name]).toEqual(['DCE', '豆粕2701']);
  });

  it('a night snapshot stamped 23:59:59.500 and received after midnight is dated the evening before; the next one after midnight the new date', () => {
    const a = run(depth('ctp-6.7.7', { InstrumentID: 'cu2701', TradingDay: '20261126', ActionDay: '20261125', UpdateTime: '23:59:59', UpdateMillisec: 500, LastPrice: 80_000, Volume: 900 }),
      '2026-11-26T00:00:00.200+08:00') as MarketTick;
    expect([a.datetime, a.trading_day]).toEqual([at('2026-11-25T23:59:59.500+08:00'), '20261126']);
    const b = run(depth('ctp-6.7.7', { InstrumentID: 'cu2701', TradingDay: '20261126', ActionDay: '20261126', UpdateTime: '00:00:00', UpdateMillisec: 0, LastPrice: 80_010, Volume: 905 }),
      '2026-11-26T00:00:00.300+08:00') as MarketTick;
    expect([b.datetime, b.trading_day, b.last_volume]).toEqual([at('2026-11-26T00:00:00.000+08:00'), '20261126', 5]);
  });

  it('CZCE: no milliseconds (two books in one second share .000), TradingDay at night ignored whichever way the front fills it', () => {
    const one = { InstrumentID: 'SR701', ActionDay: '20261125', UpdateTime: '21:30:00', UpdateMillisec: 0, LastPrice: 5600, Volume: 700, BidPrice1: 5599, BidVolume1: 10, AskPrice1: 5600, AskVolume1: 3 };
    for (const vendorTradingDay of ['20261126', '20261125']) { // a 2024 capture: the next trading day; 2015 docs: the calendar date
      const t = run(depth('ctp-6.7.7', { ...one, TradingDay: vendorTradingDay }), '2026-11-25T21:30:00.050+08:00') as MarketTick;
      expect([t.datetime, t.trading_day]).toEqual([at('2026-11-25T21:30:00.000+08:00'), '20261126']);
    }
    const other = run(depth('ctp-6.7.7', { ...one, TradingDay: '20261126', BidVolume1: 9 }), '2026-11-25T21:30:00.450+08:00') as MarketTick;
    expect([other.datetime, other.bid_volume_1]).toEqual([at('2026-11-25T21:30:00.000+08:00'), 9]);
  });

  it('CZCE turnover in yuan: a front that left out the multiplier (AveragePrice × Volume) is corrected; one that applied it is kept', () => {
    // SR: multiplier 10. 1,000 lots at an average 6,000: 60,000,000 yuan.
    const base = { InstrumentID: 'SR701', TradingDay: '20261125', ActionDay: '20261125', UpdateTime: '10:15:30', UpdateMillisec: 0, Volume: 1000, AveragePrice: 6000 };
    const without = run(depth('ctp-6.7.7', { ...base, Turnover: 6_000_000 }), '2026-11-25T10:15:30.100+08:00') as MarketTick;
    const withMult = run(depth('ctp-6.7.7', { ...base, Turnover: 60_000_000 }), '2026-11-25T10:15:30.200+08:00') as MarketTick;
    expect([without.turnover, withMult.turnover]).toEqual([60_000_000, 60_000_000]);
    expect(without.average_price).toBe(6000); // CZCE's AveragePrice is a plain price, kept as sent
    expect(czceTurnover(5_990_000, 1000, 6000, 10)).toBe(59_900_000); // rounding of AveragePrice: nearer 1 than 10
    expect(czceTurnover(0, 0, 0, 10)).toBe(0);
  });

  it('every absent-price mark is 0: DBL_MAX, -DBL_MAX, NaN and infinities, in any price field, limits included', () => {
    const t = run(depth('ctp-6.7.7', {
      InstrumentID: 'rb2701', TradingDay: '20261125', ActionDay: '20261125', UpdateTime: '10:00:00', UpdateMillisec: 0, Volume: 10,
      UpperLimitPrice: DBL_MAX, LowerLimitPrice: -DBL_MAX, PreClosePrice: Number.NaN, OpenPrice: Number.POSITIVE_INFINITY, LastPrice: 3000,
    }), '2026-11-25T10:00:00.010+08:00') as MarketTick;
    expect([t.limit_up, t.limit_down, t.pre_close, t.open_price, t.high_price, t.average_price, t.last_price]).toEqual([0, 0, 0, 0, 0, 0, 3000]);
  });

  it('drops what vn.py drops, and a malformed time, each counted by reason', () => {
    const before = { ...conv.dropped };
    expect(run(depth('ctp-6.7.7', { InstrumentID: 'rb2701', UpdateTime: '', Volume: 1 }), '2026-11-25T10:00:00+08:00')).toBe('no_update_time');
    expect(run(depth('ctp-6.7.7', { InstrumentID: 'zz9999', UpdateTime: '10:00:00', Volume: 1 }), '2026-11-25T10:00:00+08:00')).toBe('unknown_instrument');
    expect(run(depth('ctp-6.7.7', { InstrumentID: 'rb2701', UpdateTime: '10:00:00', UpdateMillisec: 1000 }), '2026-11-25T10:00:00+08:00')).toBe('bad_time');
    expect(run(depth('ctp-6.7.7', { InstrumentID: 'rb2701', UpdateTime: '25:00:00' }), '2026-11-25T10:00:00+08:00')).toBe('bad_time');
    expect(conv.dropped).toEqual({ no_update_time: before.no_update_time + 1, unknown_instrument: before.unknown_instrument + 1, bad_time: before.bad_time + 2 });
  });

  it('SOPT: the 31-byte InstrumentID at offset 9, ExchangeID as sent, the 64-bit BigVolume, levels 2–5 always copied', () => {
    const c = new DepthConverter(calendar, 'sopt-a', 'sopt');
    c.setInstruments([{ symbol: '10008123', exchange: 'SSE', name: '50ETF购12月3000' }]);
    const t = run(depth('sopt', {
      InstrumentID: '10008123', ExchangeID: 'SSE', TradingDay: '20261125', ActionDay: '20261125', UpdateTime: '10:00:00', UpdateMillisec: 300,
      LastPrice: 0.1234, Volume: 705_032_704, BigVolume: 5_000_000_000n, Turnover: 61_700_000, BidPrice1: 0.1233, BidVolume1: 50, AskPrice1: 0.1235, AskVolume1: 40,
      BidPrice2: 0.1232, AskPrice2: 0.1236, // no level-2 volumes: SOPT copies them anyway
    }), '2026-11-25T10:00:00.320+08:00', c, sopt) as MarketTick;
    expect(t).toEqual(tick({
      symbol: '10008123', exchange: 'SSE', name: '50ETF购12月3000', gateway_name: 'sopt-a', datetime: at('2026-11-25T10:00:00.300+08:00'), trading_day: '20261125',
      last_price: 0.1234, volume: 5_000_000_000, turnover: 61_700_000, bid_price_1: 0.1233, bid_volume_1: 50, ask_price_1: 0.1235, ask_volume_1: 40,
      bid_price_2: 0.1232, ask_price_2: 0.1236, localtime: at('2026-11-25T10:00:00.320+08:00'),
    }));
  });

  it('the binding refuses bytes that are not one depth struct of its flavour', () => {
    expect(() => ctp.decodeDepth(Buffer.alloc(440))).toThrow(/584/);
    expect(() => sopt.decodeDepth(Buffer.alloc(584))).toThrow(/440/);
  });
});

describe('raw depth events (no binding): the converter alone', () => {
  it('takes the exchange from the md ExchangeID only to tell apart two subscribed instruments sharing an id', () => {
    const c = new DepthConverter(calendar, 'x', 'ctp-6.7.7');
    c.setInstruments([{ symbol: 'AB01', exchange: 'DCE' }, { symbol: 'AB01', exchange: 'SHFE' }]);
    const e = { t: 'depth', symbol: 'AB01', exchange_id: 'SHFE', update_time: '10:00:00', update_millisec: 0, vendor_trading_day: '', action_day: '', volume: 1 } as unknown as DepthEvent;
    expect((c.convert(e, at('2026-11-25T10:00:00.010+08:00')) as MarketTick).exchange).toBe('SHFE');
    expect((c.convert({ ...e, exchange_id: '' }, at('2026-11-25T10:00:01.010+08:00')) as MarketTick).exchange).toBe('DCE');
  });
});
