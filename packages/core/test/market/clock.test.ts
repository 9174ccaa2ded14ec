import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import {
  TradingCalendar, clockFromParams, defaultSimAnchor, marketSleep, resumeSimAnchor, simulatedClock, systemClock,
} from '../../src/market/index.js';
import type { ClockParams, SessionTemplateId } from '../../src/market/index.js';

const cal = new TradingCalendar();
const sh = (iso: string): number => Date.parse(`${iso}+08:00`);
const ALL_TEMPLATES: SessionTemplateId[] = [
  'commodity_day', 'commodity_night_2300', 'commodity_night_0100', 'commodity_night_0230',
  'cffex_index', 'cffex_bond', 'cffex_index_option', 'etf_option',
];
const monoNs = (): number => Number(process.hrtime.bigint());

function runChild(params: ClockParams): Promise<{ now: number; mono: number }> {
  const indexPath = fileURLToPath(new URL('../../src/market/index.ts', import.meta.url));
  const code = [
    `import { clockFromParams } from ${JSON.stringify(indexPath)};`,
    'const c = clockFromParams(JSON.parse(process.env.MDH_CLOCK));',
    'const now = c.now(); const mono = Number(process.hrtime.bigint());',
    'console.log(JSON.stringify({ now, mono }));',
  ].join('\n');
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', code], {
      env: { ...process.env, MDH_CLOCK: JSON.stringify(params) },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (b: Buffer) => { out += b.toString(); });
    child.stderr.on('data', (b: Buffer) => { err += b.toString(); });
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve(JSON.parse(out) as { now: number; mono: number }) : reject(new Error(err))));
  });
}

describe('systemClock', () => {
  it('is real time, not simulated, rate 1', () => {
    const c = systemClock();
    expect(Math.abs(c.now() - Date.now())).toBeLessThan(5);
    expect(c.simulated).toBe(false);
    expect(c.rate).toBe(1);
    expect(clockFromParams(c.toJSON()).simulated).toBe(false);
  });
});

describe('simulatedClock', () => {
  it('runs from its anchor at the given rate', async () => {
    const anchorMs = sh('2026-03-09T09:35:00');
    const c = simulatedClock({ anchorMs, rate: 10 });
    const ref = c.toJSON().monoRefNs;
    expect(c.simulated).toBe(true);
    await new Promise((r) => setTimeout(r, 50));
    const before = monoNs();
    const now = c.now();
    const after = monoNs();
    expect(now).toBeGreaterThanOrEqual(anchorMs + ((before - ref) / 1e6) * 10 - 0.01);
    expect(now).toBeLessThanOrEqual(anchorMs + ((after - ref) / 1e6) * 10 + 0.01);
    expect(now - anchorMs).toBeGreaterThanOrEqual(450); // ≥ 50 real ms at rate 10
  });

  it('rejects a non-positive rate', () => {
    expect(() => simulatedClock({ anchorMs: 0, rate: 0 })).toThrow(RangeError);
  });

  it('params round trip in the same process', () => {
    const c = simulatedClock({ anchorMs: sh('2026-03-09T09:35:00'), rate: 3 });
    const d = clockFromParams(JSON.parse(JSON.stringify(c)) as ClockParams);
    expect(d.simulated).toBe(true);
    expect(d.rate).toBe(3);
    expect(Math.abs(d.now() - c.now())).toBeLessThan(1);
  });

  it('params round trip across a child process (shared monotonic clock)', async () => {
    const c = simulatedClock({ anchorMs: sh('2026-03-09T09:35:00'), rate: 2 });
    const p = c.toJSON();
    const monoBefore = monoNs();
    const child = await runChild(p);
    const monoAfter = monoNs();
    // The child's hrtime is the same system-wide clock as ours …
    expect(child.mono).toBeGreaterThan(monoBefore);
    expect(child.mono).toBeLessThan(monoAfter);
    // … so its market time is ours at that instant (within a few ms), not its own wall time.
    const expected = p.anchorMs + ((child.mono - p.monoRefNs) / 1e6) * p.rate;
    expect(Math.abs(child.now - expected)).toBeLessThan(3);
    expect(child.now).toBeLessThan(c.now());
    expect(Math.abs(child.now - Date.now())).toBeGreaterThan(1000);
  }, 30_000);
});

describe('defaultSimAnchor', () => {
  it('is 09:35 of the most recent trading day', () => {
    expect(defaultSimAnchor(cal, sh('2026-03-07T15:00:00'))).toBe(sh('2026-03-06T09:35:00')); // Saturday
    expect(defaultSimAnchor(cal, sh('2026-03-09T03:00:00'))).toBe(sh('2026-03-09T09:35:00')); // Monday, early
    expect(defaultSimAnchor(cal, sh('2026-03-09T22:00:00'))).toBe(sh('2026-03-09T09:35:00'));
    expect(defaultSimAnchor(cal, sh('2026-10-03T12:00:00'))).toBe(sh('2026-09-30T09:35:00')); // holiday
    expect(defaultSimAnchor(cal, sh('2026-03-07T15:00:00'), '14:00:00')).toBe(sh('2026-03-06T14:00:00'));
  });

  it('lands inside an open session of every template, at any hour of any day', () => {
    const start = sh('2026-01-01T00:00:00');
    for (let t = start; t < start + 400 * 86_400_000; t += 7 * 3_600_000 + 13 * 60_000) {
      const anchor = defaultSimAnchor(cal, t);
      expect(anchor).toBeLessThanOrEqual(t + 86_400_000);
      for (const tpl of ALL_TEMPLATES) expect(cal.isInSession(tpl, anchor), `${tpl} ${new Date(t).toISOString()}`).toBe(true);
    }
  });
});

describe('marketSleep', () => {
  it('sleeps marketMs / rate real ms', async () => {
    const c = simulatedClock({ anchorMs: 0, rate: 20 });
    const t0 = performance.now();
    const m0 = c.now();
    await marketSleep(c, 1000);
    const real = performance.now() - t0;
    expect(real).toBeGreaterThanOrEqual(45);
    expect(real).toBeLessThan(1000);
    expect(c.now() - m0).toBeGreaterThanOrEqual(990);
  });

  it('can be aborted', async () => {
    const ac = new AbortController();
    const p = marketSleep(systemClock(), 60_000, ac.signal);
    ac.abort();
    await expect(p).rejects.toThrow(/abort/i);
  });
});

describe('resumeSimAnchor (a restarted simulated hub continues its market)', () => {
  it('resumes at the last market time inside a session, else at the next open: forward, never back', () => {
    expect(resumeSimAnchor(cal, sh('2026-11-25T09:40:12'))).toBe(sh('2026-11-25T09:40:12'));
    expect(resumeSimAnchor(cal, sh('2026-11-25T10:20:00'))).toBe(sh('2026-11-25T10:30:00')); // the 10:15 break
    expect(resumeSimAnchor(cal, sh('2026-11-25T11:45:00'))).toBe(sh('2026-11-25T13:30:00')); // lunch
    expect(resumeSimAnchor(cal, sh('2026-11-25T15:30:00'))).toBe(sh('2026-11-26T09:00:00')); // after the close
    expect(resumeSimAnchor(cal, sh('2026-11-27T16:00:00'))).toBe(sh('2026-11-30T09:00:00')); // Friday → Monday
    expect(resumeSimAnchor(cal, sh('2026-09-30T15:10:00'))).toBe(sh('2026-10-08T09:00:00')); // National Day
    for (let t = sh('2026-01-01T00:00:00'); t < sh('2026-12-20T00:00:00'); t += 5 * 3_600_000 + 17 * 60_000) {
      const a = resumeSimAnchor(cal, t);
      expect(a).toBeGreaterThanOrEqual(t);
      expect(cal.isInSession('commodity_day', a)).toBe(true);
    }
  });
});
