/**
 * The N-API binding's typed surface (native/binding.cc). The addon is built by `npm install`; where the
 * build failed, loading it is MDH_ERR_CTP_ADDON_MISSING with the build's own reason.
 */
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { CtpError, fromNative } from './errors.js';

export type Flavour = 'ctp-6.7.7' | 'ctp-6.7.11' | 'sopt';

/** One vendor callback, copied on the vendor's thread and converted on the JS thread. */
export type VendorEvent =
  | { t: 'connected' }
  /** `reason`: 0x1001 network read, 0x1002 write, 0x2001 heartbeat timeout, 0x2002, 0x2003 (spec §7.4). */
  | { t: 'disconnected'; reason: number }
  | { t: 'heartbeat_warning'; seconds: number }
  | { t: 'login'; requestId: number; isLast: boolean; errorId: number; errorMsg: string; tradingDay: string; loginTime: string; brokerId: string; userId: string; systemName: string; frontId: number; sessionId: number }
  | { t: 'sub' | 'unsub'; requestId: number; isLast: boolean; errorId: number; errorMsg: string; instrument: string }
  | { t: 'error'; requestId: number; isLast: boolean; errorId: number; errorMsg: string }
  | DepthEvent;

/** A depth snapshot: vendor time fields as sent, prices with the vendor's absent marks (DBL_MAX…) as 0. */
export interface DepthEvent {
  t: 'depth';
  symbol: string;
  exchange_id: string;
  vendor_trading_day: string;
  action_day: string;
  update_time: string;
  update_millisec: number;
  last_price: number;
  pre_settlement: number;
  pre_close: number;
  pre_open_interest: number;
  open_price: number;
  high_price: number;
  low_price: number;
  volume: number;
  turnover: number;
  open_interest: number;
  close_price: number;
  settlement: number;
  limit_up: number;
  limit_down: number;
  average_price: number;
  bid_price_1: number; bid_volume_1: number; ask_price_1: number; ask_volume_1: number;
  bid_price_2: number; bid_volume_2: number; ask_price_2: number; ask_volume_2: number;
  bid_price_3: number; bid_volume_3: number; ask_price_3: number; ask_volume_3: number;
  bid_price_4: number; bid_volume_4: number; ask_price_4: number; ask_volume_4: number;
  bid_price_5: number; bid_volume_5: number; ask_price_5: number; ask_volume_5: number;
  /** CLOCK_MONOTONIC ns when the vendor's callback ran. */
  recv_ns: number;
}

export interface SessionStats {
  /** Events waiting for the JS thread, the most ever, and the bound (-1 while another thread holds the queue's lock). */
  queued: number;
  maxQueued: number;
  /** The most snapshots ever queued (never above `capacity`: beyond it they are conflated). */
  maxQueuedDepth: number;
  capacity: number;
  /** Snapshots lost because the queue was full and held none of that instrument, and ones replaced by a newer one. */
  dropped: number;
  conflated: number;
  /** Vendor callbacks so far. */
  callbacks: number;
  /** How long the vendor's current callback has been running (0 when none is), ms. */
  inCallbackMs: number;
  /** Time since the last vendor callback began (-1 before the first), ms. */
  sinceLastEventMs: number;
  /** Exceptions the JS event handler threw (caught on the JS thread). */
  jsErrors: number;
}

/** A vendor API object and its Spi. Every method but release() is synchronous and cheap. */
export interface NativeSession {
  registerFront(address: string): void;
  init(): void;
  /** ReqUserLogin: 0 sent, -1 not connected, -2 / -3 flow control. */
  login(brokerId: string, userId: string, password: string, requestId: number): number;
  subscribe(ids: readonly string[]): number;
  unsubscribe(ids: readonly string[]): number;
  /** GetTradingDay(): '19800100' before a login. */
  tradingDay(): string;
  stats(): SessionStats;
  /** Converts the bytes of one depth struct as a callback's copy is converted (conversion vectors in tests). */
  decodeDepth(bytes: Buffer): DepthEvent;
  /** Test hook: another thread holds the event queue's lock for `ms` (a vendor callback then blocks in the binding). */
  testHoldQueue(ms: number): void;
  /** RegisterSpi(null) and Release(), off the JS thread. */
  release(): Promise<void>;
}

interface Addon {
  Session: new (library: string, flavour: Flavour, flowPath: string, productionMode: boolean, onEvents: (events: VendorEvent[]) => void, queueCapacity?: number) => NativeSession;
  version(library: string, flavour: Flavour): string;
  monoNs(): number;
  queueCapacity: number;
}

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
let addon: Addon | null = null;

/** Loads the addon once (MDH_ERR_CTP_ADDON_MISSING with the build's reason when it was not built). */
export function loadAddon(): Addon {
  if (addon) return addon;
  const file = path.join(ROOT, 'build/Release/mdhub_ctp.node');
  if (!fs.existsSync(file)) {
    const failed = path.join(ROOT, 'build/BUILD_FAILED.txt');
    const reason = fs.existsSync(failed) ? fs.readFileSync(failed, 'utf8').trim() : 'build/Release/mdhub_ctp.node is missing: npm rebuild @mdhub/gateway-ctp';
    throw new CtpError('MDH_ERR_CTP_ADDON_MISSING', { reason });
  }
  addon = createRequire(import.meta.url)(file) as Addon;
  return addon;
}

/** Why the addon cannot be used here, or null. */
export function addonMissing(): string | null {
  try {
    loadAddon();
    return null;
  } catch (err) {
    return (err as Error).message;
  }
}

/** Opens a vendor session (MDH_ERR_CTP_* for a missing file, a wrong library or flavour). */
export function openSession(opts: {
  library: string; flavour: Flavour; flowPath: string; productionMode: boolean; onEvents: (events: VendorEvent[]) => void;
  /** Events the queue holds before market data is conflated per instrument (default 50,000). */
  queueCapacity?: number;
}): NativeSession {
  const a = loadAddon();
  let s: NativeSession;
  try {
    s = new a.Session(opts.library, opts.flavour, opts.flowPath, opts.productionMode, opts.onEvents, opts.queueCapacity);
  } catch (err) {
    throw fromNative(err);
  }
  const named = <T>(fn: () => T): T => {
    try {
      return fn();
    } catch (err) {
      throw fromNative(err);
    }
  };
  // Every native exception leaves as a named error.
  return {
    registerFront: (address) => named(() => s.registerFront(address)),
    init: () => named(() => s.init()),
    login: (b, u, p, r) => named(() => s.login(b, u, p, r)),
    subscribe: (ids) => named(() => s.subscribe(ids)),
    unsubscribe: (ids) => named(() => s.unsubscribe(ids)),
    tradingDay: () => named(() => s.tradingDay()),
    stats: () => s.stats(),
    decodeDepth: (bytes) => named(() => s.decodeDepth(bytes)),
    testHoldQueue: (ms) => s.testHoldQueue(ms),
    release: () => s.release(),
  };
}

/** GetApiVersion() of a library (checked as the flavour). */
export function apiVersion(library: string, flavour: Flavour): string {
  try {
    return loadAddon().version(library, flavour);
  } catch (err) {
    throw fromNative(err);
  }
}

/** CLOCK_MONOTONIC now, ns (the clock of `recv_ns`). */
export function monoNs(): number {
  return loadAddon().monoNs();
}
