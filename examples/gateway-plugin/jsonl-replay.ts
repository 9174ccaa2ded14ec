/**
 * An example gateway plugin (the template docs/plugins.md walks through): replays a file of recorded
 * ticks, one JSON object per line in the wire's field names (`symbol`, `exchange`, `datetime`,
 * `last_price`, `volume`, …), at their recorded pace, re-dated to the market clock. It imports only the
 * plugin API (`@mdhub/core/plugin`), the protocol's types and zod; the hub runs it in its own process.
 *
 *   npx mdhub gateway add --name replay --plugin /path/to/jsonl-replay.js --config '{"file":"/data/ticks.jsonl"}'
 */
import fs from 'node:fs';
import readline from 'node:readline';
import type { Exchange, MarketTick } from '@mdhub/protocol';
import { EXCHANGES, emptyMarketTick } from '@mdhub/protocol';
import type { Gateway, GatewayContext } from '@mdhub/core/plugin';
import { CORE_VERSION, PluginError, definePlugin } from '@mdhub/core/plugin';
import { z } from 'zod';

const ConfigSchema = z.strictObject({
  /** The JSON-lines file to replay. */
  file: z.string().min(1),
  /** Market ms replayed per real ms (2 = twice as fast). */
  speed: z.number().positive().max(1000).default(1),
  /** Start again from the top at the end of the file. */
  loop: z.boolean().default(false),
});
type Config = z.infer<typeof ConfigSchema>;

/** One recorded tick: the fields the wire carries; unknown fields are ignored, numbers absent are 0. */
const LineSchema = z.looseObject({
  symbol: z.string().min(1),
  exchange: z.enum(EXCHANGES as unknown as [Exchange, ...Exchange[]]),
  datetime: z.number().int().positive(),
  trading_day: z.string().regex(/^\d{8}$/).optional(),
});

class ReplayGateway implements Gateway {
  private ticks: MarketTick[] = [];
  private timer: NodeJS.Timeout | null = null;
  private stopped = false;
  /** Lines that were not a tick (counted; the first few are logged). */
  bad = 0;
  emitted = 0;

  constructor(private readonly ctx: GatewayContext<Config>) {}

  async start(): Promise<void> {
    const { ctx } = this;
    ctx.setState('connecting');
    if (!fs.existsSync(ctx.config.file)) throw new PluginError('MDH_ERR_GATEWAY_CONNECT_FAILED', { file: ctx.config.file, reason: 'the replay file does not exist' });
    const lines = readline.createInterface({ input: fs.createReadStream(ctx.config.file, 'utf8'), crlfDelay: Infinity });
    let n = 0;
    for await (const line of lines) {
      n++;
      if (line.trim() === '') continue;
      let parsed: unknown;
      try {
        parsed = JSON.parse(line);
      } catch {
        parsed = null;
      }
      const r = LineSchema.safeParse(parsed);
      if (!r.success) {
        if (++this.bad <= 5) ctx.log('warn', 'skipped a line that is not a tick', { line: n, reason: r.error.issues[0]?.message });
        continue;
      }
      this.ticks.push({ ...emptyMarketTick(r.data.symbol, r.data.exchange), ...(r.data as Partial<MarketTick>), gateway_name: ctx.id } as MarketTick);
    }
    this.ticks.sort((a, b) => a.datetime - b.datetime);
    ctx.setState('connected');
    ctx.setState('subscribed', `${this.ticks.length} ticks to replay`);
    ctx.log('info', 'replay ready', { ticks: this.ticks.length, bad_lines: this.bad });
    this.play(0);
  }

  /** Emits the ticks from index `i` on, each at its recorded offset from the first, re-dated to market now. */
  private play(i: number): void {
    if (this.stopped || this.ticks.length === 0) return;
    const { clock, config } = this.ctx;
    const first = this.ticks[0]!.datetime;
    const startMarket = clock.now();
    const startMono = performance.now();
    const step = (k: number): void => {
      this.timer = null;
      if (this.stopped) return;
      const elapsedMarket = (performance.now() - startMono) * config.speed * clock.rate;
      const batch: MarketTick[] = [];
      while (k < this.ticks.length && this.ticks[k]!.datetime - first <= elapsedMarket) {
        const t = this.ticks[k++]!;
        const datetime = Math.round(startMarket + (t.datetime - first));
        batch.push({ ...t, datetime, localtime: clock.now() });
      }
      if (batch.length > 0) {
        this.ctx.emit(batch); // one event-loop turn: one link batch
        this.emitted += batch.length;
      }
      if (k >= this.ticks.length) {
        if (config.loop) this.play(0);
        return;
      }
      const wait = (this.ticks[k]!.datetime - first - elapsedMarket) / (config.speed * clock.rate);
      this.timer = setTimeout(() => step(k), Math.max(0, Math.min(wait, 1000)));
    };
    step(i);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.ctx.setState('stopped');
  }

  control(cmd: { op: string }): unknown {
    if (cmd.op === 'stats') return { ticks: this.ticks.length, emitted: this.emitted, bad_lines: this.bad };
    throw new Error(`unknown command ${cmd.op}`);
  }
}

export const plugin = definePlugin({
  name: 'example-jsonl-replay',
  kind: 'gateway',
  version: '1.0.0',
  coreVersion: `^${CORE_VERSION}`,
  description: 'Replays recorded ticks from a JSON-lines file at their recorded pace',
  defaultName: 'REPLAY',
  configSchema: ConfigSchema,
  create: (ctx) => new ReplayGateway(ctx),
});

export default plugin;
