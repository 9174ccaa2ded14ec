/**
 * Configuration of a CTP or SOPT gateway instance. The account supplies `fronts`, `broker_id`,
 * `user_id`, `password`, `app_id` and `auth_code` (the hub merges them in, secrets decrypted); the
 * gateway row holds the rest. Field by field in docs/gateways/ctp.md.
 */
import type { Exchange } from '@mdhub/protocol';
import { parseInstrumentPattern } from '@mdhub/core/plugin';
import { z } from 'zod';
import type { Flavour } from './native.js';

/** Exchanges a CTP futures front serves, and a SOPT stock-option front. */
export const CTP_EXCHANGES: readonly Exchange[] = ['SHFE', 'INE', 'DCE', 'CZCE', 'CFFEX', 'GFEX'];
export const SOPT_EXCHANGES: readonly Exchange[] = ['SSE', 'SZSE'];

/** vn.py's rule: `tcp://` is prefixed unless the address names its scheme (tcp, ssl, socks). */
export function normalizeFront(address: string): string {
  const a = address.trim();
  return /^(tcp|ssl|socks[45]?a?):\/\//i.test(a) ? a : `tcp://${a}`;
}

const FRONT = /^(tcp|ssl|socks[45]?a?):\/\/[A-Za-z0-9.\-_]+:\d{1,5}$/i;

/** The configuration schema of a plugin that loads `flavours` and subscribes on `exchanges`. */
export function gatewayConfigSchema(flavours: readonly [Flavour, ...Flavour[]], exchanges: readonly Exchange[]) {
  const pattern = z.string().superRefine((text, ctx) => {
    try {
      const p = parseInstrumentPattern(text);
      if (p.kind !== 'all' && !exchanges.includes(p.exchange)) ctx.addIssue({ code: 'custom', message: `${text}: this gateway's fronts serve ${exchanges.join(', ')}, not ${p.exchange}` });
    } catch (err) {
      ctx.addIssue({ code: 'custom', message: (err as { details?: { reason?: string } }).details?.reason ?? (err as Error).message });
    }
  });
  return z.strictObject({
    /** Path of the vendor library (.so) the user obtained: never shipped with mdhub. */
    library: z.string().min(1).max(1024),
    flavour: z.enum(flavours).default(flavours[0]),
    /** Market-data fronts, tried in order by the library (from the account). */
    fronts: z.array(z.string().min(1).max(200).transform(normalizeFront).refine((f) => FRONT.test(f), 'a front is tcp://HOST:PORT (or ssl://, socks://)')).min(1).max(16),
    /** Vendor field limits: BrokerID char[11], UserID char[16], Password char[41] (NUL-terminated). */
    broker_id: z.string().max(10).default(''),
    user_id: z.string().max(15).default(''),
    password: z.string().max(40).default(''),
    /** Accepted from the account; the market-data login does not use them (only the trader API authenticates). */
    app_id: z.string().max(32).optional(),
    auth_code: z.string().max(32).optional(),
    /** `all`, or patterns: `rb*.SHFE`, `*.DCE`, `rb2701.SHFE` (resolved against the reference data). */
    instruments: z.union([z.literal('all'), z.array(pattern).min(1).max(100_000)]).default('all'),
    /** A CSV or JSON file of listed instruments (symbol, exchange, name, expiry …): docs/gateways/ctp.md. */
    reference_file: z.string().min(1).max(1024).optional(),
    /** Flow folder of the library (default: `flow/` in the instance's data folder); created when absent. */
    flow_dir: z.string().min(1).max(1024).optional(),
    /** CTP 6.7.11's fourth factory argument (production or test environment). Ignored by other flavours. */
    production_mode: z.boolean().default(true),
    /** The library is mdhub's ABI simulator: the hub may then run a simulated market clock. */
    simulated: z.boolean().default(false),
    subscribe: z.strictObject({
      /** Instruments per SubscribeMarketData call, and the pause between calls (vendor flow control). */
      batch_size: z.number().int().min(1).max(5_000).default(200),
      interval_ms: z.number().int().min(0).max(10_000).default(20),
    }).default({ batch_size: 200, interval_ms: 20 }),
    watchdog: z.strictObject({
      /** A vendor callback still running after this long is a hung library (hard restart). */
      callback_ms: z.number().int().min(100).max(600_000).default(5_000),
      /**
       * No vendor event for this long while subscribed, inside an open session of a subscribed product, is
       * a hung library (hard restart). Default: the vendor's heartbeat timeout (~120 s) plus a margin, so a
       * silent front is the library's own 0x2001 first.
       */
      silence_ms: z.number().int().min(1_000).max(3_600_000).default(130_000),
      /** No connection this long after start or a disconnect is reported (the library keeps retrying silently). */
      connect_ms: z.number().int().min(1_000).max(600_000).default(15_000),
    }).default({ callback_ms: 5_000, silence_ms: 130_000, connect_ms: 15_000 }),
    /** Events the binding queues for the JS thread before market data is conflated per instrument. */
    queue_capacity: z.number().int().min(1_000).max(2_000_000).default(50_000),
  });
}

export type GatewayConfig = z.infer<ReturnType<typeof gatewayConfigSchema>>;
