import type { MarketTick } from '@mdhub/protocol';
import type { Gateway, GatewayContext } from '@mdhub/core/plugin';
import { CORE_VERSION, definePlugin, listProducts, shanghaiDate } from '@mdhub/core/plugin';
import { z } from 'zod';
import type { BadTickKind } from './replica.js';
import { BAD_TICK_KINDS, SourceReplica } from './replica.js';
import { buildUniverse } from './universe.js';

const BadKind = z.enum(BAD_TICK_KINDS as unknown as [BadTickKind, ...BadTickKind[]]);

/** Configuration of one simulated source (a row of the gateways table). */
export const SimConfigSchema = z.strictObject({
  /** The simulated exchange. Sources with the same market replicate the same tape. */
  market: z.strictObject({
    seed: z.number().int().default(20260101),
    instruments: z.number().int().min(1).max(50_000).default(300),
  }).default({ seed: 20260101, instruments: 300 }),
  /** This source's own randomness (latencies, drops, corruptions); default: derived from its id. */
  seed: z.union([z.number().int(), z.string()]).optional(),
  latency: z.strictObject({
    medianMs: z.number().min(0).default(3),
    sigma: z.number().min(0).default(0.6),
    minMs: z.number().min(0).default(0.5),
  }).default({ medianMs: 3, sigma: 0.6, minMs: 0.5 }),
  dropRate: z.number().min(0).max(1).default(0),
  badTickRate: z.number().min(0).max(1).default(0),
  badKinds: z.array(BadKind).optional(),
  /** Time from start to `subscribed` (connect, log in, subscribe), real ms. */
  loginMs: z.number().min(0).default(150),
  /**
   * Market ms of the tape simulated ahead of delivery (see SourceReplicaOptions.lookaheadMs): the
   * simulator's own work happens between bursts, so at a burst the source costs what a gateway costs.
   */
  lookaheadMs: z.number().min(0).max(5_000).default(250),
  /**
   * Shortest real ms between two deliveries (default 0: each time a copy is due, at the timer's 1 ms
   * granularity). Each delivery is a turn of the gateway's event loop and a link message, and on a shared
   * machine a message costs the source far more in syscalls and wake-ups than its ticks cost to encode:
   * benchmarks that measure the core at high rates deliver in coarser turns.
   */
  turnMs: z.number().min(0).max(100).default(0),
  /**
   * A stretch of the tape simulated before delivery starts (default: none), market epoch ms. The source
   * simulates the snapshots emitted in (fromMs, untilMs] first, stays silent until the market clock
   * reaches fromMs, and then only hands the copies out: it costs what a gateway costs (link encode and
   * send), not what the market simulation costs. For benchmarks that measure the core at rates the
   * simulation could not also produce on the same cores; sources given the same stretch start together.
   * About 330 bytes per copy (outside the JS heap). A source that finishes after fromMs discards the
   * copies already past (logged as a warning).
   */
  prerender: z.strictObject({ fromMs: z.number(), untilMs: z.number() })
    .refine((p) => p.untilMs > p.fromMs && p.untilMs - p.fromMs <= 3_600_000, 'untilMs must be after fromMs, by at most one hour')
    .optional(),
});

export type SimConfig = z.infer<typeof SimConfigSchema>;

/** Fault-injection commands (`Supervisor.control(id, cmd)`). */
export type SimCommand =
  | { op: 'disconnect'; ms: number }
  | { op: 'stall'; ms: number }
  | { op: 'hang' }
  | { op: 'crash' }
  | { op: 'slow'; ms: number; delayMs: number }
  | { op: 'flood'; ms: number; rate?: number; kinds?: string }
  | { op: 'set'; dropRate?: number; badTickRate?: number }
  | { op: 'stats' };

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
/** Market ms of tape simulated between two turns of the event loop while pre-rendering. */
const CHUNK_MARKET_MS = 500;

/** A simulated market-data source: a replica of the simulated exchange's tape, with faults on demand. */
class SimGateway implements Gateway {
  private replica: SourceReplica | null = null;
  private timer: NodeJS.Timeout | null = null;
  private running = false;
  private stopped = false;
  /** Until this market ms the source delivers nothing: disconnected (copies lost) or stalled. */
  private silentUntil = 0;
  private silentMode: 'disconnect' | 'stall' | null = null;
  /** A slow source: until slowUntil (market ms) each copy is handed over delayMs (market ms) late. */
  private slowUntil = 0;
  private slowDelayMs = 0;
  private readonly delayed: Array<{ at: number; ticks: MarketTick[] }> = [];
  private floodTimer: NodeJS.Timeout | null = null;
  private cfg: SimConfig;

  constructor(private readonly ctx: GatewayContext<SimConfig>) {
    this.cfg = ctx.config;
  }

  async start(): Promise<void> {
    const { ctx, cfg } = this;
    ctx.setState('connecting');
    const anchor = ctx.clock.toJSON().anchorMs;
    const tradingDay = ctx.calendar.tradingDayAt('commodity_day', anchor) ?? ctx.calendar.tradingDayOnOrAfter(shanghaiDate(anchor));
    const universe = buildUniverse({ seed: cfg.market.seed, tradingDay, products: listProducts(), instruments: cfg.market.instruments });
    await sleep(cfg.loginMs / 3);
    ctx.setState('connected');
    await sleep(cfg.loginMs / 3);
    ctx.setState('logged_in');
    this.replica = new SourceReplica({
      universe,
      tape: { seed: cfg.market.seed, calendar: ctx.calendar, startMs: anchor },
      sourceSeed: cfg.seed ?? ctx.id,
      latency: cfg.latency,
      dropRate: cfg.dropRate,
      badTickRate: cfg.badTickRate,
      ...(cfg.badKinds ? { badKinds: cfg.badKinds } : {}),
      gatewayName: ctx.id,
      deliverFromMs: ctx.clock.now(),
      lookaheadMs: cfg.lookaheadMs,
    });
    await sleep(cfg.loginMs / 3);
    if (cfg.prerender) await this.prerender(this.replica, cfg.prerender);
    if (this.stopped) return;
    this.running = true;
    ctx.setState('subscribed');
    ctx.log('info', 'simulated source subscribed', { instruments: universe.length, market_seed: cfg.market.seed });
    this.loop();
  }

  /** Simulates the configured stretch of the tape ahead of delivery, then waits for its start (see SimConfig.prerender). */
  private async prerender(replica: SourceReplica, stretch: { fromMs: number; untilMs: number }): Promise<void> {
    const { clock } = this.ctx;
    const t0 = performance.now();
    replica.startDeliveryAt(Math.max(stretch.fromMs, clock.now()));
    while (replica.simulatedToMs < stretch.untilMs && !this.stopped) {
      replica.prerender(Math.min(stretch.untilMs, replica.simulatedToMs + CHUNK_MARKET_MS));
      await new Promise<void>((r) => setImmediate(r)); // pings from the hub are answered meanwhile
    }
    const copies = replica.queued;
    const realMs = Math.round(performance.now() - t0);
    const waitMs = (stretch.fromMs - clock.now()) / clock.rate;
    // A timer may fire up to a millisecond early against the high-resolution clock: wait until the market
    // clock has truly reached fromMs (the source subscribes then, never before).
    for (let left = waitMs; left > 0 && !this.stopped; left = (stretch.fromMs - clock.now()) / clock.rate) await sleep(Math.max(1, left));
    const late = waitMs < 0 ? replica.startDeliveryAt(clock.now()) : 0;
    this.ctx.log(late > 0 ? 'warn' : 'info', 'tape pre-rendered', {
      from_ms: stretch.fromMs, until_ms: stretch.untilMs, copies, discarded_late: late, real_ms: realMs, late_ms: Math.max(0, Math.round(-waitMs)),
    });
  }

  private readonly loop = (): void => {
    this.timer = null;
    if (!this.running || !this.replica) return;
    const now = this.ctx.clock.now();
    const r = this.replica.poll(now);
    if (now >= this.silentUntil) {
      if (this.silentMode === 'disconnect') {
        this.silentMode = null;
        this.ctx.setState('subscribed', 'reconnected');
      } else if (this.silentMode === 'stall') {
        this.silentMode = null;
      }
      if (r.due.length > 0) {
        if (now < this.slowUntil || this.delayed.length > 0) this.delayed.push({ at: now + (now < this.slowUntil ? this.slowDelayMs : 0), ticks: r.due as MarketTick[] });
        else this.ctx.emit(r.due as MarketTick[]);
      }
    }
    // A slow source hands its copies over late, in their order.
    while (this.delayed.length > 0 && this.delayed[0]!.at <= now) this.ctx.emit(this.delayed.shift()!.ticks);
    let next = r.nextDueMs;
    if (this.delayed.length > 0) next = next === null ? this.delayed[0]!.at : Math.min(next, this.delayed[0]!.at);
    const wait = next === null ? 1000 : Math.max(0, (next - this.ctx.clock.now()) / this.ctx.clock.rate);
    this.timer = setTimeout(this.loop, Math.min(Math.max(wait, this.cfg.turnMs), 1000));
  };

  async stop(): Promise<void> {
    this.stopped = true;
    this.running = false;
    if (this.timer) clearTimeout(this.timer);
    this.ctx.setState('stopped');
  }

  control(cmd: { op: string; [k: string]: unknown }): unknown {
    const c = cmd as SimCommand;
    const now = this.ctx.clock.now();
    switch (c.op) {
      case 'disconnect':
        this.silentMode = 'disconnect';
        this.silentUntil = now + c.ms * this.ctx.clock.rate;
        this.ctx.setState('disconnected', 'simulated front disconnect (4097)');
        return { ok: true };
      case 'stall':
        // Connected and subscribed, but silent: only data health (canaries) can see it.
        this.silentMode = 'stall';
        this.silentUntil = now + c.ms * this.ctx.clock.rate;
        return { ok: true };
      case 'hang':
        // The vendor library deadlocks the process: nothing answers any more (pings included).
        setImmediate(() => { for (;;) { /* hung */ } });
        return { ok: true };
      case 'crash':
        // Dies as a vendor library crash would (no core file): the supervisor sees a signal death.
        setImmediate(() => process.kill(process.pid, 'SIGKILL'));
        return { ok: true };
      case 'slow':
        // Copies arrive delayMs late for ms (a congested line, a slow front): it still delivers everything.
        this.slowUntil = now + c.ms * this.ctx.clock.rate;
        this.slowDelayMs = Math.max(0, Number(c.delayMs) || 0) * this.ctx.clock.rate;
        return { ok: true };
      case 'flood': {
        // A share of this source's copies is corrupted (rate, default 0.5) for ms, of the given kinds
        // (comma-separated; default: the configured ones): cleansing must stop them.
        const base = this.cfg.badTickRate;
        const baseKinds = this.cfg.badKinds ?? BAD_TICK_KINDS;
        const kinds = typeof c.kinds === 'string' ? c.kinds.split(',').map((k) => k.trim()) : undefined;
        const unknown = kinds?.filter((k) => !(BAD_TICK_KINDS as readonly string[]).includes(k)) ?? [];
        if (unknown.length > 0) throw new Error(`unknown bad-tick kinds ${unknown.join(', ')} (${BAD_TICK_KINDS.join(', ')})`);
        this.replica?.setBadTickRate(typeof c.rate === 'number' ? c.rate : 0.5, kinds as BadTickKind[] | undefined);
        if (this.floodTimer) clearTimeout(this.floodTimer);
        this.floodTimer = setTimeout(() => this.replica?.setBadTickRate(base, baseKinds), c.ms);
        this.floodTimer.unref();
        return { ok: true };
      }
      case 'set':
        return { ok: false, reason: 'restart the source with a new configuration to change rates' };
      case 'stats':
        return this.replica?.stats() ?? null;
      default:
        throw new Error(`unknown simulator command ${String((cmd as { op: unknown }).op)}`);
    }
  }
}

/** The gateway-sim plugin manifest. */
export const plugin = definePlugin({
  name: '@mdhub/gateway-sim',
  kind: 'gateway',
  version: CORE_VERSION,
  coreVersion: `^${CORE_VERSION}`,
  description: 'Simulated exchange and sources with fault injection (the demo and the ground truth of tests)',
  defaultName: 'SIM',
  simulated: true,
  configSchema: SimConfigSchema,
  create: (ctx) => new SimGateway(ctx),
});

export default plugin;
