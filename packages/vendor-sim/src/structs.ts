/**
 * The vendor structs the simulated front sends, written byte by byte at the offsets of the vendor ABI
 * spec (§6; the same table the C++ header asserts). A market tick becomes a depth struct as a vendor front
 * would send it: absent prices as DBL_MAX, UpdateTime / UpdateMillisec / ActionDay / TradingDay with the
 * exchanges' quirks, GBK text.
 */
import type { MarketTick } from '@mdhub/protocol';

export type Flavour = 'ctp-6.7.7' | 'ctp-6.7.11' | 'sopt';

/** Sizes (§6). */
export const SIZES = {
  'ctp-6.7.7': { depth: 584, login: 204, specific: 112, info: 88, req: 264 },
  'ctp-6.7.11': { depth: 584, login: 296, specific: 112, info: 88, req: 264 },
  sopt: { depth: 440, login: 156, specific: 31, info: 88, req: 264 },
} as const;

export const DBL_MAX = Number.MAX_VALUE;

/** Depth fields both flavours place at the same offsets (§6: fields 4 to 43). */
const DEPTH_NUMBERS: Array<[keyof MarketTick | 'close', number, 'f64' | 'i32']> = [
  ['last_price', 80, 'f64'], ['pre_settlement', 88, 'f64'], ['pre_close', 96, 'f64'], ['pre_open_interest', 104, 'f64'],
  ['open_price', 112, 'f64'], ['high_price', 120, 'f64'], ['low_price', 128, 'f64'], ['volume', 136, 'i32'], ['turnover', 144, 'f64'],
  ['open_interest', 152, 'f64'], ['close', 160, 'f64'], ['settlement', 168, 'f64'], ['limit_up', 176, 'f64'], ['limit_down', 184, 'f64'],
  ['bid_price_1', 224, 'f64'], ['bid_volume_1', 232, 'i32'], ['ask_price_1', 240, 'f64'], ['ask_volume_1', 248, 'i32'],
  ['bid_price_2', 256, 'f64'], ['bid_volume_2', 264, 'i32'], ['ask_price_2', 272, 'f64'], ['ask_volume_2', 280, 'i32'],
  ['bid_price_3', 288, 'f64'], ['bid_volume_3', 296, 'i32'], ['ask_price_3', 304, 'f64'], ['ask_volume_3', 312, 'i32'],
  ['bid_price_4', 320, 'f64'], ['bid_volume_4', 328, 'i32'], ['ask_price_4', 336, 'f64'], ['ask_volume_4', 344, 'i32'],
  ['bid_price_5', 352, 'f64'], ['bid_volume_5', 360, 'i32'], ['ask_price_5', 368, 'f64'], ['ask_volume_5', 376, 'i32'],
  ['average_price', 384, 'f64'],
];

/** Prices a vendor marks absent with DBL_MAX when they are 0 (no trade yet, an empty book side). */
const SENTINEL_WHEN_ZERO = new Set<string>([
  'last_price', 'open_price', 'high_price', 'low_price', 'close', 'settlement', 'average_price',
  'bid_price_1', 'bid_price_2', 'bid_price_3', 'bid_price_4', 'bid_price_5', 'ask_price_1', 'ask_price_2', 'ask_price_3', 'ask_price_4', 'ask_price_5',
]);

/** A fixed char field: the text (ASCII, or GBK bytes given as a Buffer), NUL-terminated, never overflowing. */
export function putString(buf: Buffer, offset: number, size: number, value: string | Buffer): void {
  const bytes = typeof value === 'string' ? Buffer.from(value, 'latin1') : value;
  bytes.copy(buf, offset, 0, Math.min(bytes.length, size - 1));
}

function hhmmss(ms: number): { time: string; millis: number; date: string } {
  const d = new Date(ms + 8 * 3_600_000);
  const p = (n: number): string => String(n).padStart(2, '0');
  return {
    time: `${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())}`,
    millis: d.getUTCMilliseconds(),
    date: `${d.getUTCFullYear()}${p(d.getUTCMonth() + 1)}${p(d.getUTCDate())}`,
  };
}

export interface DepthOptions {
  /** ExchangeID as the front fills it ('' as CTP fronts often leave it). */
  exchangeId?: string;
  /** Replace individual values (tests: a raw DBL_MAX in a field, a bad UpdateTime). */
  override?: Partial<Record<string, number | string>>;
}

/**
 * A depth struct for `t`, as a vendor front of that flavour sends it. Dates follow the exchanges:
 * ActionDay is the calendar day of the stamp, except DCE at night, whose ActionDay is the trading day;
 * TradingDay is the trading day; CZCE stamps no milliseconds (the tape already stamps whole seconds).
 */
export function depthStruct(flavour: Flavour, t: MarketTick, opts: DepthOptions = {}): Buffer {
  const buf = Buffer.alloc(SIZES[flavour].depth);
  const { time, millis, date } = hhmmss(t.datetime);
  const night = Number(time.slice(0, 2)) >= 20 || Number(time.slice(0, 2)) < 3;
  const actionDay = t.exchange === 'DCE' && night ? t.trading_day : date;
  const o = opts.override ?? {};
  putString(buf, 0, 9, String(o['TradingDay'] ?? t.trading_day));
  if (flavour === 'sopt') {
    putString(buf, 9, 31, String(o['InstrumentID'] ?? t.symbol));
    putString(buf, 49, 31, String(o['InstrumentID'] ?? t.symbol));
  } else {
    putString(buf, 401, 81, String(o['InstrumentID'] ?? t.symbol));
    putString(buf, 482, 81, String(o['InstrumentID'] ?? t.symbol));
  }
  putString(buf, 40, 9, String(o['ExchangeID'] ?? opts.exchangeId ?? ''));
  const values = t as unknown as Record<string, number>;
  for (const [field, off, type] of DEPTH_NUMBERS) {
    let v = o[field] !== undefined ? Number(o[field]) : field === 'close' ? 0 : values[field] ?? 0;
    if (o[field] === undefined && v === 0 && SENTINEL_WHEN_ZERO.has(field)) v = DBL_MAX;
    if (type === 'f64') buf.writeDoubleLE(v, off);
    else buf.writeInt32LE(Math.round(v), off);
  }
  buf.writeDoubleLE(DBL_MAX, 192); // PreDelta: absent
  buf.writeDoubleLE(DBL_MAX, 200); // CurrDelta: absent
  putString(buf, 208, 9, String(o['UpdateTime'] ?? time));
  buf.writeInt32LE(o['UpdateMillisec'] !== undefined ? Number(o['UpdateMillisec']) : t.exchange === 'CZCE' ? 0 : millis, 220);
  putString(buf, 392, 9, String(o['ActionDay'] ?? actionDay));
  if (flavour === 'sopt') {
    buf.writeDoubleLE(DBL_MAX, 408); // CircuitRefPrice
    buf.writeBigInt64LE(BigInt(Math.round(t.volume)), 432); // BigVolume
  } else {
    buf.writeDoubleLE(DBL_MAX, 568);
    buf.writeDoubleLE(DBL_MAX, 576);
  }
  return buf;
}

/** A login response struct of the flavour (TradingDay, LoginTime, BrokerID, UserID, SystemName, FrontID, SessionID). */
export function loginStruct(flavour: Flavour, r: { tradingDay: string; brokerId: string; userId: string; systemName?: Buffer | string; frontId?: number; sessionId?: number }): Buffer {
  const buf = Buffer.alloc(SIZES[flavour].login);
  const { time } = hhmmss(Date.now());
  putString(buf, 0, 9, r.tradingDay);
  putString(buf, 9, 9, time);
  putString(buf, 18, 11, r.brokerId);
  putString(buf, 29, 16, r.userId);
  putString(buf, 45, 41, r.systemName ?? 'mdhub-sim');
  buf.writeInt32LE(r.frontId ?? 1, 88);
  buf.writeInt32LE(r.sessionId ?? 1, 92);
  return buf;
}

/** RspInfo: ErrorID and a GBK message. */
export function infoStruct(errorId: number, message: Buffer | string = ''): Buffer {
  const buf = Buffer.alloc(88);
  buf.writeInt32LE(errorId, 0);
  putString(buf, 4, 81, message);
  return buf;
}

/** SpecificInstrument of the flavour. */
export function specificStruct(flavour: Flavour, instrument: string): Buffer {
  const buf = Buffer.alloc(SIZES[flavour].specific);
  putString(buf, flavour === 'sopt' ? 0 : 31, flavour === 'sopt' ? 31 : 81, instrument);
  return buf;
}

/** Reads a login request (BrokerID, UserID, Password) the library sent. */
export function readLoginRequest(buf: Buffer): { brokerId: string; userId: string; password: string } {
  const str = (off: number, n: number): string => {
    const end = buf.indexOf(0, off);
    return buf.toString('latin1', off, end < 0 || end > off + n ? off + n : end);
  };
  return { brokerId: str(9, 11), userId: str(20, 16), password: str(36, 41) };
}

/** "参数错误" and friends, GBK-encoded, as vendor fronts send their messages. */
export const GBK = {
  /** 不合法的登录 (CTP error 3: invalid login) */
  invalidLogin: Buffer.from([0xb2, 0xbb, 0xba, 0xcf, 0xb7, 0xa8, 0xb5, 0xc4, 0xb5, 0xc7, 0xc2, 0xbc]),
  /** 模拟前置 */
  simFront: Buffer.from([0xc4, 0xa3, 0xc4, 0xe2, 0xc7, 0xb0, 0xd6, 0xc3]),
} as const;
