/**
 * Scheduled start/stop and calendar updates through the CLI, as an operator uses them
 * (docs/operations.md): `mdhub schedule crontab` in the host's zone, `mdhub start --if-trading-day` on a
 * holiday, a weekend, the evening before a holiday and a trading day (the clock injected with
 * MDHUB_NOW), `mdhub schedule check --at`, `mdhub calendar import|show|remove`, and the imported
 * calendar taking precedence in `schedule check` and in a running hub (its calendar_ending alert).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { CLI, mdhub, startHubProcess } from './helpers.js';
import type { HubProcess } from './helpers.js';

const tmp = (): string => fs.mkdtempSync(path.join(os.tmpdir(), 'mdhub-sched-'));
const env = (extra: Record<string, string>): NodeJS.ProcessEnv => ({ ...process.env, MDHUB_DB_URL: '', ...extra });
const jobs = (text: string): string[] => text.split('\n').filter((l) => l !== '' && !l.startsWith('#'));

/** A plausible 2027 (a fixture, not the exchanges' published calendar). */
const Y2027 = { year: 2027, holidays: ['2027-01-01', '2027-02-08', '2027-02-09', '2027-02-10', '2027-02-11', '2027-02-12', '2027-10-01', '2027-10-04', '2027-10-05', '2027-10-06', '2027-10-07'] };

let hub: HubProcess | null = null;
afterEach(async () => {
  await hub?.stop();
  hub = null;
});

describe('mdhub schedule crontab', () => {
  it('prints the jobs in the host zone: Asia/Shanghai', async () => {
    const dir = tmp();
    const text = await mdhub(['schedule', 'crontab', '--data-dir', dir], { env: env({ TZ: 'Asia/Shanghai' }) });
    const lines = jobs(text);
    expect(lines.map((l) => l.split(' ').slice(0, 5).join(' '))).toEqual(['45 8 * * 1-5', '25 15 * * 1-5', '45 20 * * 1-5', '40 2 * * 2-6']);
    expect(lines[0]).toContain(`${process.execPath} ${CLI} start --if-trading-day --lead 10 --data-dir ${dir}`);
    expect(lines[1]).toContain(`stop --if-running --data-dir ${dir}`);
    expect(text).toMatch(/host's zone Asia\/Shanghai/);
  });

  it('and UTC, with lead and lag minutes', async () => {
    const text = await mdhub(['schedule', 'crontab', '--lead', '15', '--lag', '5'], { env: env({ TZ: 'UTC' }) });
    expect(jobs(text).map((l) => l.split(' ').slice(0, 5).join(' '))).toEqual(['40 0 * * 1-5', '20 7 * * 1-5', '40 12 * * 1-5', '35 18 * * 1-5']);
    expect(jobs(text)[0]).toContain('--lead 15');
  });

  it('--docker prints docker compose up -d hub / stop hub (v2, v1 noted)', async () => {
    const text = await mdhub(['schedule', 'crontab', '--docker', '--compose-dir', '/opt/mdhub', '--tz', 'Asia/Shanghai']);
    expect(jobs(text)).toEqual([
      '45 8 * * 1-5 cd /opt/mdhub && docker compose --env-file docker/.env -f docker/compose.yaml up -d hub', '25 15 * * 1-5 cd /opt/mdhub && docker compose --env-file docker/.env -f docker/compose.yaml stop hub',
      '45 20 * * 1-5 cd /opt/mdhub && docker compose --env-file docker/.env -f docker/compose.yaml up -d hub', '40 2 * * 2-6 cd /opt/mdhub && docker compose --env-file docker/.env -f docker/compose.yaml stop hub',
    ]);
    expect(text).toMatch(/docker-compose/);
  });

  it('refuses an unknown zone', async () => {
    await expect(mdhub(['schedule', 'crontab', '--tz', 'Mars/Olympus'])).rejects.toThrow(/MDH_ERR_CLI_USAGE.*Mars\/Olympus/s);
  });
});

describe('mdhub start --if-trading-day', () => {
  const skip = async (now: string): Promise<string> => {
    const dir = tmp();
    const out = await mdhub(['start', '--if-trading-day', '--data-dir', dir, '--http', 'off'], { env: env({ MDHUB_NOW: now }) });
    expect(fs.existsSync(path.join(dir, 'ready.json'))).toBe(false);
    expect(out.trim().split('\n')).toHaveLength(1); // one log line
    return out;
  };

  it('exits 0 with one log line on a holiday, a weekend and the evening before a holiday', async () => {
    expect(await skip('2026-10-01T08:45')).toMatch(/not starting.*no session opens within 10 min/);
    expect(await skip('2026-11-28T08:45')).toMatch(/not starting/);
    expect(await skip('2026-09-30T20:45')).toMatch(/not starting.*trading day 20261008/);
  });

  it('starts on a trading day 10 min before the open (and on a Friday evening, for Monday night)', async () => {
    hub = await startHubProcess(['--if-trading-day'], { env: env({ MDHUB_NOW: '2026-11-27T20:45' }) });
    expect(hub.output()).toMatch(/starting \(--if-trading-day\).*night session of trading day 20261130/);
    expect(await mdhub(['stop', '--data-dir', hub.dataDir])).toMatch(/stopped hub/);
    expect(await mdhub(['stop', '--if-running', '--data-dir', hub.dataDir])).toMatch(/no hub runs/);
    await expect(mdhub(['stop', '--data-dir', hub.dataDir])).rejects.toThrow(/MDH_ERR_HUB_NOT_RUNNING/);
  });
});

describe('mdhub schedule check', () => {
  const check = async (at: string, dir = tmp()): Promise<Record<string, unknown>> =>
    JSON.parse(await mdhub(['schedule', 'check', '--json', '--data-dir', dir, '--at', at], { env: env({}) })) as Record<string, unknown>;

  it('across a night session that crosses midnight', async () => {
    const r = await check('2026-11-26T01:30');
    expect(r).toMatchObject({ date: '2026-11-26', date_is_trading_day: true, trading_day: '2026-11-26', start: true, current: { part: 'night', trading_day: '2026-11-26', close_shanghai: '2026-11-26 02:30' } });
    const sat = await check('2026-11-28T01:30');
    expect(sat).toMatchObject({ weekday: 'Sat', date_is_trading_day: false, trading_day: '2026-11-30', start: true, current: { part: 'night', trading_day: '2026-11-30' } });
    const after = await check('2026-11-28T02:45');
    expect(after).toMatchObject({ start: false, current: null, next: { part: 'day', trading_day: '2026-11-30', open_shanghai: '2026-11-30 08:55' } });
  });

  it('before a holiday: a trading day whose evening has no night session', async () => {
    const r = await check('2026-09-30T20:45');
    expect(r).toMatchObject({ date_is_trading_day: true, start: false, next: { part: 'day', trading_day: '2026-10-08' } });
    const text = await mdhub(['schedule', 'check', '--data-dir', tmp(), '--at', '2026-09-30T20:45'], { env: env({}) });
    expect(text).toMatch(/2026-09-30 is a trading day/);
    expect(text).toMatch(/exits without starting/);
  });

  it('reads --at with an offset', async () => {
    expect(await check('2026-11-25T00:45Z')).toMatchObject({ at_shanghai: '2026-11-25 08:45', start: true });
  });
});

describe('mdhub calendar import|show|remove', () => {
  it('an imported year takes precedence in schedule check and calendar show, and can be removed', async () => {
    const dir = tmp();
    const file = path.join(dir, 'holidays-2027.json');
    fs.writeFileSync(file, JSON.stringify(Y2027));
    const friday = async (): Promise<unknown> => (JSON.parse(await mdhub(['schedule', 'check', '--json', '--data-dir', dir, '--at', '2027-02-05T20:45'], { env: env({}) })) as { start: unknown }).start;
    expect(await friday()).toBe(true); // shipped data ends in 2026: every weekday trades
    expect(await mdhub(['calendar', 'import', file, '--data-dir', dir], { env: env({}) })).toMatch(/imported 2027: 11 weekday closures/);
    expect(await friday()).toBe(false); // no night session before the Spring Festival week
    const show = JSON.parse(await mdhub(['calendar', 'show', '2027', '--json', '--data-dir', dir], { env: env({}) })) as { ends_on: string; years: Array<{ source: string; holidays: string[]; no_night_evenings: string[] }> };
    expect(show.ends_on).toBe('2027-12-31');
    expect(show.years[0]!.source).toContain(file);
    expect(show.years[0]!.holidays).toContain('2027-02-08');
    expect(show.years[0]!.no_night_evenings).toEqual(expect.arrayContaining(['2026-12-31', '2027-02-05']));
    expect(await mdhub(['calendar', 'show', '--data-dir', dir], { env: env({}) })).toMatch(/2026: shipped markets\.json[\s\S]*2027: imported/);
    expect(await mdhub(['audit', '--action', 'calendar.import', '--json', '--data-dir', dir], { env: env({}) })).toContain('"target": "2027"');
    await mdhub(['calendar', 'remove', '2027', '--data-dir', dir], { env: env({}) });
    expect(await friday()).toBe(true);
  });

  it('refuses a bad file with MDH_ERR_CALENDAR_BAD_FILE, naming the field', async () => {
    const dir = tmp();
    const file = path.join(dir, 'bad.json');
    fs.writeFileSync(file, JSON.stringify({ year: 2027, holidays: ['2027-02-30'] }));
    await expect(mdhub(['calendar', 'import', file, '--data-dir', dir], { env: env({}) })).rejects.toThrow(/MDH_ERR_CALENDAR_BAD_FILE.*holidays\.0/s);
    fs.writeFileSync(file, '{not json');
    await expect(mdhub(['calendar', 'import', file, '--data-dir', dir], { env: env({}) })).rejects.toThrow(/MDH_ERR_CALENDAR_BAD_FILE/);
  });

  it('a running hub uses the imported calendar: no calendar_ending alert once 2027 is in', async () => {
    const anchor = '2026-12-07T09:35:00+08:00'; // 24 days before the shipped data ends
    hub = await startHubProcess([], { simAnchor: anchor, env: env({}) });
    await expect.poll(() => hub!.output(), { timeout: 10_000 }).toMatch(/calendar_ending/);
    await hub.stop();
    const file = path.join(hub.dataDir, 'y2027.json');
    fs.writeFileSync(file, JSON.stringify(Y2027));
    await mdhub(['calendar', 'import', file, '--data-dir', hub.dataDir], { env: env({}) });
    hub = await startHubProcess([], { simAnchor: anchor, dataDir: hub.dataDir, env: env({}) });
    await expect.poll(() => hub!.output(), { timeout: 10_000 }).toMatch(/imported calendar years in force: 2027/);
    await new Promise((r) => setTimeout(r, 500));
    expect(hub.output()).not.toMatch(/calendar_ending/);
  });
});
