/**
 * One end-to-end test per fault kind, on the demo hub (three simulated sources racing, canaries rb.SHFE
 * and SR.CZCE) and its ground-truth tape: each asserts how fast the fault is detected, that the faulty
 * source stops feeding while the others carry on, whether it is restarted (and only when it should be),
 * that it feeds again, and that no state was lost or duplicated while a healthy source existed. (The
 * connected-but-silent stall and the frozen priority feeder are in health.test.ts.)
 */
import { describe, expect, it } from 'vitest';
import { stateKey } from '@mdhub/protocol';
import { controlRequest } from '@mdhub/core';
import { sleep, startHubProcess, useHubAndClient, waitFor, watchHub } from './helpers.js';
import type { HubProcess, Watch } from './helpers.js';
import { checkStream, compareWithTape, tapeFor } from './tape-check.js';

const fx = useHubAndClient();

type Status = Record<string, unknown>;
const statusOf = (w: Watch, kind: string, match: Record<string, unknown> = {}): Status[] =>
  w.statuses.filter((s) => s['kind'] === kind && Object.entries(match).every(([k, v]) => s[k] === v));

async function demo(): Promise<{ hub: HubProcess; w: Watch }> {
  const hub = fx.hub = await startHubProcess();
  const w = watchHub(hub.ready.pub);
  fx.client = w.client;
  await waitFor('three sources ok', () => new Set(statusOf(w, 'source_health', { health: 'ok' }).map((s) => s['source'])).size === 3, 20_000);
  await waitFor('canaries resolved', () => statusOf(w, 'canary_resolved').length === 2, 10_000);
  await sleep(1500);
  return { hub, w };
}

async function pidOf(hub: HubProcess, id: string): Promise<number> {
  const st = await controlRequest(hub.ready.control, 'status') as { health: { sources: Array<{ id: string; pid: number | null }> } };
  return st.health.sources.find((s) => s.id === id)!.pid!;
}

const control = (hub: HubProcess, id: string, cmd: { op: string; [k: string]: unknown }): Promise<unknown> => controlRequest(hub.ready.control, 'gateway.control', { id, cmd });

/** The first "not feeding" health of `source` after `t0`, and how long after. */
async function detected(w: Watch, source: string, t0: number, withinMs: number): Promise<{ ev: Status; ms: number }> {
  const ev = await waitFor(`${source} out of the race`, () => statusOf(w, 'source_health', { source }).find((s) => (s['ts'] as number) >= t0 && s['feeding'] === false), withinMs + 2000);
  return { ev, ms: (ev['ts'] as number) - t0 };
}

/** `source` feeds again after `t` (ok, or degraded: a source that lagged is flagged for the minute its lag p99 covers). */
const backOk = (w: Watch, source: string, t: number, ms = 25_000): Promise<Status> =>
  waitFor(`${source} feeding again`, () => statusOf(w, 'source_health', { source }).find((s) => (s['ts'] as number) > t && s['feeding'] === true), ms);

/** While the fault lasted, the other sources kept winning: ticks from them within every second. */
function othersFed(w: Watch, faulty: string[], from: number, to: number): void {
  const times = w.ticks.filter((t) => !faulty.includes(t.source)).map((t) => Math.round(t.hub_pub_ts / 1000)).filter((ts) => ts >= from && ts <= to);
  expect(times.length).toBeGreaterThan(0);
  let prev = from;
  for (const ts of times) {
    expect(ts - prev, 'a second without a published tick from a healthy source').toBeLessThan(1000);
    prev = ts;
  }
}

describe('faults, one kind at a time', () => {
  it('SIGKILL: out at once, restarted with backoff, back after the hold-down; nothing lost', async () => {
    const { hub, w } = await demo();
    const pid = await pidOf(hub, 'sim-b');
    const t0 = Date.now();
    process.kill(pid, 'SIGKILL');
    const d = await detected(w, 'sim-b', t0, 1000);
    console.log(`sigkill: out after ${d.ms} ms (${String(d.ev['health'])})`);
    expect(d.ms).toBeLessThan(1000);
    expect(d.ev['health']).toBe('restarting');
    await waitFor('restart', () => statusOf(w, 'source_exit', { source: 'sim-b' }).find((s) => s['restart_in_ms'] !== null), 5000);
    const ok = await backOk(w, 'sim-b', t0);
    othersFed(w, ['sim-b'], t0, ok['ts'] as number);
    await sleep(2000);
    compareWithTape(hub, w.ticks);
  });

  it('a busy-looping gateway (hung in its own code): out within a second, found dead, killed and restarted; nothing lost', async () => {
    const { hub, w } = await demo();
    const t0 = Date.now();
    await control(hub, 'sim-b', { op: 'hang' });
    const d = await detected(w, 'sim-b', t0, 1000);
    console.log(`hang: out after ${d.ms} ms (${String(d.ev['reason'])})`);
    expect(d.ms).toBeLessThan(1000);
    await waitFor('dead', () => statusOf(w, 'source_health', { source: 'sim-b', health: 'dead' })[0], 10_000);
    const restart = await waitFor('hard restart', () => statusOf(w, 'source_restart', { source: 'sim-b' })[0], 15_000);
    expect((restart['ts'] as number) - (d.ev['ts'] as number)).toBeGreaterThanOrEqual(4500); // confirmed first
    const ok = await backOk(w, 'sim-b', restart['ts'] as number);
    othersFed(w, ['sim-b'], t0, ok['ts'] as number);
    await sleep(2000);
    compareWithTape(hub, w.ticks);
  });

  it('a front disconnect: out at once, reconnects by itself (no restart), back after the hold-down; nothing lost', async () => {
    const { hub, w } = await demo();
    const t0 = Date.now();
    await control(hub, 'sim-b', { op: 'disconnect', ms: 3000 });
    const d = await detected(w, 'sim-b', t0, 1000);
    expect(d.ms).toBeLessThan(200);
    expect(d.ev).toMatchObject({ health: 'stale', reason: 'disconnected: simulated front disconnect (4097)' });
    const ok = await backOk(w, 'sim-b', t0);
    expect((ok['ts'] as number) - t0).toBeGreaterThanOrEqual(3000 + 2500); // the reconnect, then the hold-down
    expect(statusOf(w, 'source_restart')).toEqual([]);
    expect(statusOf(w, 'source_exit')).toEqual([]);
    othersFed(w, ['sim-b'], t0, ok['ts'] as number);
    await sleep(2000);
    compareWithTape(hub, w.ticks);
  });

  it('a slow source (copies 800 ms late): out of the race while behind, never killed, back when it catches up; nothing lost', async () => {
    const { hub, w } = await demo();
    const t0 = Date.now();
    await control(hub, 'sim-b', { op: 'slow', ms: 5000, delayMs: 800 });
    const d = await detected(w, 'sim-b', t0, 1500);
    expect(String(d.ev['reason'])).toMatch(/canary .* behind another source/);
    const ok = await backOk(w, 'sim-b', t0);
    console.log(`slow: back as ${String(ok['health'])} (${String(ok['reason'])})`);
    expect(statusOf(w, 'source_restart')).toEqual([]); // it kept delivering: never a hard restart
    othersFed(w, ['sim-b'], t0, ok['ts'] as number);
    await sleep(2000);
    compareWithTape(hub, w.ticks);
  });

  it('a bad-tick flood: cleansing stops every corrupted copy, no state is lost, nothing invented', async () => {
    // Corruptions no real state can look like. A price jump is left out here: on a deep out-of-the-money
    // option quoted at one tick (0.0001) a jumped copy is a plausible state (a two-tick move), and
    // cleansing's interception of jumps is measured by bench:cleansing, not promised whole.
    const { hub, w } = await demo();
    const t0 = Date.now();
    await control(hub, 'sim-b', { op: 'flood', ms: 4000, rate: 0.8, kinds: 'dbl_max,negative_price,crossed_book,stale_replay,future_time' });
    await sleep(6000);
    const m = await (await fetch(`http://${hub.ready.http}/metrics`)).text();
    const rejected = [...m.matchAll(/^mdhub_cleansing_rejected_total\{source="sim-b"[^}]*\} (\d+)/gm)].reduce((a, x) => a + Number(x[1]), 0);
    console.log(`flood: ${rejected} copies of sim-b rejected`);
    expect(rejected).toBeGreaterThan(100);
    expect(statusOf(w, 'source_restart')).toEqual([]);
    expect(w.ticks.some((t) => t.source === 'sim-b')).toBe(true); // its good copies still win
    void t0;
    compareWithTape(hub, w.ticks); // "nothing invented": every published state in the window is on the tape
  });

  it('two overlapping faults (a hang and a disconnect): both out, the third source carries the market; nothing lost', async () => {
    const { hub, w } = await demo();
    const t0 = Date.now();
    await Promise.all([control(hub, 'sim-b', { op: 'hang' }), control(hub, 'sim-c', { op: 'disconnect', ms: 4000 })]);
    const [b, c] = await Promise.all([detected(w, 'sim-b', t0, 1000), detected(w, 'sim-c', t0, 1000)]);
    expect(Math.max(b.ms, c.ms)).toBeLessThan(1000);
    const okB = await backOk(w, 'sim-b', t0, 30_000);
    const okC = await backOk(w, 'sim-c', t0);
    othersFed(w, ['sim-b', 'sim-c'], t0, Math.min(okB['ts'] as number, okC['ts'] as number));
    expect(statusOf(w, 'source_restart').map((s) => s['source'])).toEqual(['sim-b']);
    await sleep(2000);
    compareWithTape(hub, w.ticks);
  });

  it('every source down, then back: the group is down (one critical event, 503), fed again at once; loss only while none could feed', async () => {
    const { hub, w } = await demo();
    const t0 = Date.now();
    const clock = hub.ready.clock as { anchorMs: number; monoRefNs: number; rate: number };
    const marketNow = (): number => clock.anchorMs + ((Number(process.hrtime.bigint()) - clock.monoRefNs) / 1e6) * clock.rate;
    const downFrom = marketNow();
    await Promise.all(['sim-a', 'sim-b', 'sim-c'].map((id) => control(hub, id, { op: 'disconnect', ms: 3000 })));
    await waitFor('group down', () => statusOf(w, 'group_down', { group: 'default' })[0], 2000);
    expect((await fetch(`http://${hub.ready.http}/healthz`)).status).toBe(503);
    const rec = await waitFor('group fed again', () => statusOf(w, 'group_recovered', { group: 'default' })[0], 10_000);
    // no hold-down with nobody feeding: back within moments of the reconnect
    expect((rec['ts'] as number) - t0).toBeLessThan(3000 + 1500);
    const downTo = marketNow() - ((Date.now() - (rec['ts'] as number)) * clock.rate);
    expect(statusOf(w, 'group_down')).toHaveLength(1);
    expect(statusOf(w, 'source_restart')).toEqual([]);
    await sleep(3000);
    // Against the tape: every state emitted outside the outage was published, none twice.
    const keys = checkStream(w.ticks);
    const { tape, from, to } = tapeFor(hub, w.ticks);
    const missing = tape.advance(to).filter((s) => s.emitMs >= from && !keys.has(stateKey(s.tick)));
    console.log(`all down: ${missing.length} states lost during the ${Math.round(downTo - downFrom)} ms outage`);
    for (const s of missing) {
      expect(s.emitMs).toBeGreaterThanOrEqual(downFrom - 100);
      expect(s.emitMs).toBeLessThanOrEqual(downTo + 100);
    }
  });
});
