/**
 * Market-open storm source for the end-to-end benchmark: a gateway plugin (loaded by the hub from an
 * absolute file path, transpiled to bench-out/storm-plugin.mjs by bench/e2e/main.ts) that makes every
 * instrument of the universe tick at once, on every source, at the same CLOCK_MONOTONIC instant:
 * burst k at the hub clock's reference + firstAtMs + k·periodMs (real ms), market datetime
 * anchor + the same offset (whole seconds when both are multiples of 1000, valid for every stamping rule).
 * All sources build identical states (volume grows by 2 per burst, price at pre_close, a one-tick book),
 * so one copy per instrument wins and the others are duplicates: `instruments × sources` copies in,
 * `instruments` ticks out per burst. Each burst's ticks are built before the instant; a timer wakes
 * 3 ms early and a short spin lands the emit on the instant, so the three sources emit within ~0.1 ms.
 */
import { z } from 'zod';
import type { MarketTick } from '@mdhub/protocol';
import { emptyMarketTick } from '@mdhub/protocol';
import type { Gateway, GatewayContext } from '@mdhub/core/plugin';
import { CORE_VERSION, definePlugin, listProducts, shanghaiDate } from '@mdhub/core/plugin';
import { buildUniverse, ticksToPrice } from '@mdhub/gateway-sim';
import type { SimInstrument } from '@mdhub/gateway-sim';

export const StormConfigSchema = z.object({
  market: z.object({
    seed: z.number().int().default(20260101),
    instruments: z.number().int().min(1).max(50_000).default(5000),
  }).default({ seed: 20260101, instruments: 5000 }),
  bursts: z.number().int().min(1).default(5),
  /** First burst, real ms after the hub clock's monotonic reference. */
  firstAtMs: z.number().int().min(0).default(4000),
  periodMs: z.number().int().min(10).default(1000),
  loginMs: z.number().min(0).default(100),
});
export type StormConfig = z.infer<typeof StormConfigSchema>;

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const monoNs = (): number => Number(process.hrtime.bigint());

function stormTick(u: SimInstrument, tradingDay: string, k: number, datetime: number, source: string): MarketTick {
  const tick = u.product.price_tick;
  const t = emptyMarketTick(u.symbol, u.exchange);
  const upT = Math.round(u.limit_up / tick);
  const downT = Math.round(u.limit_down / tick);
  let pT = Math.round(u.pre_close / tick);
  if (pT > upT) pT = upT;
  if (pT < downT) pT = downT;
  if (pT < 1) pT = 1;
  const p = ticksToPrice(pT, tick);
  const vol = 2 * (k + 1);
  t.datetime = datetime;
  t.trading_day = tradingDay;
  t.name = u.name;
  t.volume = vol;
  t.last_volume = k === 0 ? vol : 2;
  t.turnover = vol * p * u.product.multiplier;
  t.average_price = u.exchange === 'CZCE' ? p : p * u.product.multiplier;
  t.open_interest = u.pre_open_interest + k;
  t.last_price = p;
  t.open_price = p;
  t.high_price = p;
  t.low_price = p;
  t.limit_up = u.limit_up;
  t.limit_down = u.limit_down;
  t.pre_close = u.pre_close;
  t.pre_settlement = u.pre_settlement;
  t.pre_open_interest = u.pre_open_interest;
  for (let i = 0; i < 5; i++) {
    const b = pT - 1 - i;
    const a = pT + 1 + i;
    const bp = b >= downT && b >= 1 ? ticksToPrice(b, tick) : 0;
    const ap = a <= upT ? ticksToPrice(a, tick) : 0;
    const bv = bp > 0 ? 10 + ((k + i) % 7) : 0;
    const av = ap > 0 ? 12 + ((k + 2 * i) % 5) : 0;
    switch (i) {
      case 0: t.bid_price_1 = bp; t.ask_price_1 = ap; t.bid_volume_1 = bv; t.ask_volume_1 = av; break;
      case 1: t.bid_price_2 = bp; t.ask_price_2 = ap; t.bid_volume_2 = bv; t.ask_volume_2 = av; break;
      case 2: t.bid_price_3 = bp; t.ask_price_3 = ap; t.bid_volume_3 = bv; t.ask_volume_3 = av; break;
      case 3: t.bid_price_4 = bp; t.ask_price_4 = ap; t.bid_volume_4 = bv; t.ask_volume_4 = av; break;
      default: t.bid_price_5 = bp; t.ask_price_5 = ap; t.bid_volume_5 = bv; t.ask_volume_5 = av; break;
    }
  }
  t.localtime = datetime;
  t.gateway_name = source;
  return t;
}

class StormGateway implements Gateway {
  private timer: NodeJS.Timeout | null = null;
  private running = false;

  constructor(private readonly ctx: GatewayContext<StormConfig>) {}

  async start(): Promise<void> {
    const { ctx } = this;
    const cfg = ctx.config;
    ctx.setState('connecting');
    const clock = ctx.clock.toJSON();
    const anchor = clock.anchorMs;
    const td = ctx.calendar.tradingDayAt('commodity_day', anchor) ?? ctx.calendar.tradingDayOnOrAfter(shanghaiDate(anchor));
    const universe = buildUniverse({ seed: cfg.market.seed, tradingDay: td, products: listProducts(), instruments: cfg.market.instruments });
    const tradingDay = td.replace(/-/g, '');
    await sleep(cfg.loginMs / 2);
    ctx.setState('connected');
    ctx.setState('logged_in');
    await sleep(cfg.loginMs / 2);
    this.running = true;
    ctx.setState('subscribed');
    const offsets: number[] = [];
    for (let i = 0; i < 9; i++) offsets.push((performance.timeOrigin + performance.now()) * 1000 - Number(process.hrtime.bigint()) / 1000);
    offsets.sort((a, b) => a - b);
    ctx.log('info', 'storm source subscribed', { instruments: universe.length, bench_clock_offset_us: offsets[4], pid: process.pid });

    const refNs = clock.monoRefNs;
    const atNs = (k: number): number => refNs + (cfg.firstAtMs + k * cfg.periodMs) * 1e6;
    let k = 0;
    while (k < cfg.bursts && atNs(k) < monoNs() + 110e6) k++; // started late: skip bursts already due
    // Build the burst ~100 ms before its instant, sleep to 2 ms before it, spin onto it, emit.
    const prepare = (): void => {
      this.timer = null;
      if (!this.running || k >= cfg.bursts) return;
      const burst = k;
      const datetime = Math.round(anchor + (cfg.firstAtMs + burst * cfg.periodMs) * clock.rate);
      const ticks = universe.map((u) => stormTick(u, tradingDay, burst, datetime, ctx.id));
      const target = atNs(burst);
      this.timer = setTimeout(() => {
        this.timer = null;
        if (!this.running) return;
        while (monoNs() < target) { /* ≤ 2 ms: land on the instant */ }
        ctx.emit(ticks);
        k++;
        schedule();
      }, Math.max(0, (target - monoNs()) / 1e6 - 2));
    };
    const schedule = (): void => {
      if (k < cfg.bursts) this.timer = setTimeout(prepare, Math.max(0, (atNs(k) - monoNs()) / 1e6 - 100));
    };
    schedule();
  }

  async stop(): Promise<void> {
    this.running = false;
    if (this.timer) clearTimeout(this.timer);
    this.ctx.setState('stopped');
  }
}

export const plugin = definePlugin({
  name: 'mdhub-bench-storm',
  kind: 'gateway',
  coreVersion: `^${CORE_VERSION}`,
  defaultName: 'STORM',
  simulated: true,
  configSchema: StormConfigSchema,
  create: (ctx) => new StormGateway(ctx),
});

export default plugin;
