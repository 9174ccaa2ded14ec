import { describe, expect, it } from 'vitest';
import type { MarketTick } from '@mdhub/protocol';
import { simulatedClock } from '../../core/src/market/index.js';
import { SimConfigSchema, plugin } from '../src/plugin.js';
import { atShanghai, calendar } from './helpers.js';

const anchor = atShanghai('20260106', '09:31');

interface Run {
  emits: Array<{ at: number; ticks: MarketTick[] }>;
  states: Array<{ at: number; state: string }>;
  logs: Array<{ level: string; msg: string; details?: Record<string, unknown> }>;
}

/** Runs one simulated source for `ms` real ms on a clock at `rate` and records what it hands out. */
async function runSource(config: unknown, rate: number, ms: number): Promise<Run> {
  const clock = simulatedClock({ anchorMs: anchor, rate });
  const run: Run = { emits: [], states: [], logs: [] };
  const gw = plugin.create({
    id: 'sim-t', hubId: 'h', runId: 'r', config: SimConfigSchema.parse(config), clock, calendar: calendar as never,
    emit: (ticks) => run.emits.push({ at: clock.now(), ticks: [...ticks] }),
    setState: (state) => run.states.push({ at: clock.now(), state }),
    log: (level, msg, details) => run.logs.push({ level, msg, ...(details ? { details } : {}) }),
    dataDir: '/nonexistent', report: () => {}, instruments: () => {}, unhealthy: () => {}, fail: (err) => { throw err; },
  });
  await gw.start();
  await new Promise((r) => setTimeout(r, ms));
  await gw.stop();
  return run;
}

describe('gateway-sim plugin', () => {
  it('with a pre-rendered stretch: silent until fromMs, then copies of snapshots from fromMs on, in arrival order', async () => {
    const rate = 5;
    const fromMs = anchor + 1500 * rate; // 1.5 s after the clock starts
    const run = await runSource({ market: { instruments: 200 }, loginMs: 30, prerender: { fromMs, untilMs: fromMs + 60_000 } }, rate, 2000);
    const subscribed = run.states.find((s) => s.state === 'subscribed');
    expect(subscribed!.at).toBeGreaterThanOrEqual(fromMs);
    const ticks = run.emits.flatMap((e) => e.ticks);
    expect(ticks.length).toBeGreaterThan(200);
    expect(run.emits[0]!.at).toBeGreaterThanOrEqual(fromMs);
    // a copy of a snapshot emitted before fromMs would have an exchange time before it
    expect(Math.min(...ticks.map((t) => t.datetime))).toBeGreaterThanOrEqual(fromMs - 1000);
    const local = ticks.map((t) => t.localtime);
    expect(local).toEqual([...local].sort((a, b) => a - b));
    const rec = run.logs.find((l) => l.msg === 'tape pre-rendered');
    expect(rec).toMatchObject({ level: 'info', details: { from_ms: fromMs, discarded_late: 0 } });
    expect(rec!.details!['copies']).toBeGreaterThan(ticks.length);
  });

  it('a stretch that starts before its simulation is done: the copies already past are discarded, with a warning', async () => {
    const rate = 200; // 200 market ms per real ms: simulating the stretch takes longer than its lead
    const fromMs = anchor + 50 * rate;
    const run = await runSource({ market: { instruments: 200 }, loginMs: 0, prerender: { fromMs, untilMs: fromMs + 600_000 } }, rate, 300);
    const rec = run.logs.find((l) => l.msg === 'tape pre-rendered')!;
    expect(rec.level).toBe('warn');
    expect(rec.details!['discarded_late']).toBeGreaterThan(0);
    const ticks = run.emits.flatMap((e) => e.ticks);
    expect(ticks.length).toBeGreaterThan(0);
    // delivery starts where the clock was when the simulation finished (fromMs + the lateness), not at fromMs
    const restart = fromMs + Number(rec.details!['late_ms']) * rate;
    expect(Math.min(...ticks.map((t) => t.localtime))).toBeGreaterThan(restart - 2 * rate);
  });

  it('delivers in turns of at least turnMs', async () => {
    const config = { market: { instruments: 300 }, loginMs: 30 };
    const fine = await runSource(config, 20, 800);
    const coarse = await runSource({ ...config, turnMs: 40 }, 20, 800);
    const gaps = (r: Run): number[] => r.emits.slice(1).map((e, i) => (e.at - r.emits[i]!.at) / 20);
    expect(fine.emits.length).toBeGreaterThan(60);
    // ≤ 800 / 40 turns (plus the first); each gap ≥ turnMs minus timer slack
    expect(coarse.emits.length).toBeLessThanOrEqual(21);
    expect(coarse.emits.length).toBeGreaterThan(5);
    expect(Math.min(...gaps(coarse))).toBeGreaterThanOrEqual(38);
    expect(coarse.emits.reduce((a, e) => a + e.ticks.length, 0)).toBeGreaterThan(0);
  });

  it('refuses a stretch that ends before it starts', () => {
    expect(() => SimConfigSchema.parse({ prerender: { fromMs: 10, untilMs: 5 } })).toThrow(/untilMs must be after fromMs/);
  });
});
