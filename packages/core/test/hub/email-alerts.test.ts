/**
 * Email alerts against a real SMTP receiver on loopback (smtp-server) and a real configuration service
 * on a temporary SQLite database: what an email says, one email per incident, the recovery follow-up,
 * the hourly limit, two hubs sharing one database, the severity threshold, the daily summary, and an
 * SMTP server or database that cannot be reached (logged, counted, never thrown).
 */
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startSmtpReceiver } from '../smtp-receiver.js';
import type { ReceivedMail } from '../smtp-receiver.js';
import { ConfigService } from '../../src/service/config-service.js';
import type { Actor } from '../../src/service/config-service.js';
import { PluginRegistry } from '../../src/plugin/registry.js';
import { openRepository } from '../../src/store/open.js';
import type { ConfigRepository } from '../../src/store/repository.js';
import { SecretBox, newKeyText, parseKeys } from '../../src/store/secrets.js';
import { AlertHook, databaseAlert } from '../../src/hub/alerts.js';
import { Logger } from '../../src/hub/logger.js';
import { EmailAlerts } from '../../src/hub/email-alerts.js';
import type { AlertLog, IncidentStore } from '../../src/hub/email-alerts.js';
import type { AlertRecord } from '../../src/hub/alert-incidents.js';
import { formatDuration } from '../../src/hub/alert-incidents.js';

const ACTOR: Actor = { name: 'cli:tester' };

let receiver: Awaited<ReturnType<typeof startSmtpReceiver>>;
let mails: ReceivedMail[] = [];
let port = 0;
const dirs: string[] = [];

beforeAll(async () => {
  receiver = await startSmtpReceiver();
  ({ mails, port } = receiver);
});

afterAll(async () => {
  await receiver.close();
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

beforeEach(() => {
  mails.length = 0;
});

/**
 * A temporary SQLite database. `hub()` is another hub's configuration service on it. Two hubs in one
 * process share one connection: better-sqlite3 is synchronous, so a second connection in the same
 * process that waits for the file lock blocks the thread the first needs to release it (hubs are
 * separate processes; MariaDB's two-hub tests use two connections).
 */
async function database(): Promise<{ file: string; open: () => Promise<{ service: ConfigService; repo: ConfigRepository }>; hub: (repo: ConfigRepository) => { service: ConfigService; repo: ConfigRepository } }> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mdhub-alerts-'));
  dirs.push(dir);
  const file = path.join(dir, 'db.sqlite');
  const secrets = new SecretBox(parseKeys(newKeyText(), 'test'), { kind: 'env' });
  const open = async (): Promise<{ service: ConfigService; repo: ConfigRepository }> => {
    const repo = await openRepository(`sqlite:${file}`, { schema: 'auto' });
    return { service: new ConfigService({ repo, plugins: new PluginRegistry(), secrets }), repo };
  };
  return { file, open, hub: (repo) => ({ service: new ConfigService({ repo, plugins: new PluginRegistry(), secrets }), repo }) };
}

function recorder(): AlertLog & { records: Array<{ level: string; msg: string; code?: string; details?: Record<string, unknown> }> } {
  const records: Array<{ level: string; msg: string; code?: string; details?: Record<string, unknown> }> = [];
  const rec = (level: string) => (_area: string, msg: string, details?: Record<string, unknown>, code?: string): void => {
    records.push({ level, msg, ...(code ? { code } : {}), ...(details ? { details } : {}) });
  };
  return { records, info: rec('info'), warn: rec('warn'), error: rec('error') };
}

/** A notifier configured through the `alerts` setting, as a hub does. */
async function notifier(service: ConfigService, opts: { hubId?: string; setting?: Record<string, unknown>; now?: () => number; store?: IncidentStore; smtpPort?: number } = {}) {
  await service.setSetting(ACTOR, 'alerts', {
    enabled: true, smtp: { host: '127.0.0.1', port: opts.smtpPort ?? port }, from: 'mdhub@test.local', to: ['ops@test.local'], ...opts.setting,
  });
  const runtime = await service.loadRuntime(opts.hubId ?? 'hub-a');
  const log = recorder();
  const n = new EmailAlerts({ hubId: opts.hubId ?? 'hub-a', store: opts.store ?? service, log, host: 'testhost', env: {}, ...(opts.now ? { now: opts.now } : {}) });
  n.configure(runtime.alerts);
  return { n, log };
}

const t0 = Date.UTC(2026, 11, 7, 1, 31, 7);
const at = (ms: number, a: Omit<AlertRecord, 'ts'>): AlertRecord => ({ ...a, ts: ms });
const dead = (src: string, ts = t0): AlertRecord => at(ts, { severity: 'warning', alert: 'source_dead', source: src, code: 'MDH_ERR_SOURCE_DEAD', message: `source ${src} is dead: no answer on the control channel for 4 s (hung or stopped)` });
const recovered = (src: string, ts: number): AlertRecord => at(ts, { severity: 'info', alert: 'source_recovered', source: src, message: `source ${src} feeds again (ok) after a restart` });

describe('email alerts', () => {
  it('the setting is off by default, is validated, and names the decided recipient', async () => {
    const { open } = await database();
    const { service, repo } = await open();
    const rt = await service.loadRuntime('hub-a');
    expect(rt.alerts).toMatchObject({ enabled: false, to: ['ryanflavor@163.com'], minSeverity: 'warning', maxPerHour: 20 });
    await expect(service.setSetting(ACTOR, 'alerts', { enabled: true })).rejects.toMatchObject({ code: 'MDH_ERR_CONFIG_INVALID' });
    await expect(service.setSetting(ACTOR, 'alerts', { enabled: true, smtp: { host: 'x' }, password: 'secret' })).rejects.toMatchObject({ code: 'MDH_ERR_CONFIG_INVALID' });
    await expect(service.setSetting(ACTOR, 'alerts', { dailySummary: '25:00' })).rejects.toMatchObject({ code: 'MDH_ERR_CONFIG_INVALID' });
    // Off: nothing is sent whatever happens.
    const n = new EmailAlerts({ hubId: 'hub-a', store: service, log: recorder(), env: {} });
    n.configure(rt.alerts);
    n.onAlert(dead('sim-b'));
    await n.idle();
    expect(mails).toEqual([]);
    await repo.close();
  });

  it('one email per incident with what, when, the hub and what to do; repeats send nothing; the recovery follows up with the duration', async () => {
    const { open } = await database();
    const { service, repo } = await open();
    const { n } = await notifier(service);
    const hook = new AlertHook(new Logger({ level: 'error', stream: { write: () => {} } }));
    n.attach(hook);
    n.onAlert(dead('sim-b'));
    n.onAlert(at(t0 + 1000, { severity: 'warning', alert: 'source_restart', source: 'sim-b', message: 'source sim-b is hard-restarted: no answer' }));
    n.onAlert(dead('sim-b', t0 + 2000));
    await n.idle();
    expect(mails).toHaveLength(1);
    const m = mails[0]!;
    expect(m.subject).toBe('[mdhub hub-a] WARNING source sim-b dead');
    expect(m.from).toBe('mdhub@test.local');
    expect(m.to).toEqual(['ops@test.local']);
    expect(m.text).toContain('What:     source sim-b is dead: no answer on the control channel for 4 s (hung or stopped)');
    expect(m.text).toContain('Alert:    source_dead (MDH_ERR_SOURCE_DEAD), severity warning');
    expect(m.text).toContain('Source:   sim-b');
    expect(m.text).toContain('Hub:      hub-a on testhost');
    expect(m.text).toContain('Incident: source:sim-b#0');
    expect(m.text).toContain('2026-12-07 09:31:07 Asia/Shanghai'); // 01:31:07 UTC
    expect(m.text).toMatch(/When: {5}2026-12-0\d \d\d:\d\d:07 \S+ \(2026-12-07 09:31:07 Asia\/Shanghai\)/);
    expect(m.text).toContain('What to do next:');
    expect(m.text).toContain('npx mdhub gateway restart sim-b');

    // Through the hook too: a repeat from the health monitor sends nothing.
    hook.emit({ severity: 'warning', alert: 'source_stale', source: 'sim-b', message: 'source sim-b is stale: behind' });
    await n.idle();
    expect(mails).toHaveLength(1);

    n.onAlert(recovered('sim-b', t0 + 65_000));
    await n.idle();
    expect(mails).toHaveLength(2);
    const r = mails[1]!;
    expect(r.subject).toBe('[mdhub hub-a] RECOVERED source sim-b dead (after 1 min 5 s)');
    expect(r.text).toContain('Incident:  source:sim-b#0 (source sim-b dead), opened 2026-12-0');
    expect(r.text).toContain('Duration:  1 min 5 s');
    expect(r.text).toContain('Recovered: source sim-b feeds again (ok) after a restart');

    const rows = await service.incidents();
    expect(rows.find((x) => x.incident_key === 'source:sim-b#0')).toMatchObject({ state: 'closed', hub_id: 'hub-a', closed_at: t0 + 65_000, severity: 'warning' });
    expect(rows.find((x) => x.incident_key === 'source:sim-b#0')?.last_sent_at).not.toBeNull();

    // The same fault again after its recovery is a new incident.
    n.onAlert(dead('sim-b', t0 + 120_000));
    await n.idle();
    expect(mails).toHaveLength(3);
    expect(mails[2]!.text).toContain('Incident: source:sim-b#1');
    await n.stop();
    await repo.close();
  });

  it('groups, circuit breakers and the database have incidents of their own, closed by their recoveries', async () => {
    const { open } = await database();
    const { service, repo } = await open();
    const { n } = await notifier(service);
    n.onAlert(at(t0, { severity: 'critical', alert: 'group_down', group: 'futures', code: 'MDH_ERR_GROUP_NO_SOURCE', message: 'group futures has no healthy source inside its trading session' }));
    n.onAlert(at(t0, { severity: 'critical', alert: 'source_circuit_open', source: 'sim-b', message: 'source sim-b: restarts never reached healthy' }));
    n.onAlert(at(t0, { ...databaseAlert({ up: false, reason: 'connect ECONNREFUSED' }) }));
    n.onAlert(at(t0, { severity: 'warning', alert: 'calendar_ending', message: 'trading-calendar data ends on 2026-12-31 (24 days left)' }));
    await n.idle();
    expect(mails.map((m) => m.subject).sort()).toEqual([
      '[mdhub hub-a] CRITICAL configuration database unreachable',
      '[mdhub hub-a] CRITICAL group futures down',
      '[mdhub hub-a] CRITICAL source sim-b circuit open',
      '[mdhub hub-a] WARNING calendar ending',
    ]);
    // The database incident is never claimed through the database it is about: sent directly, and says so.
    expect(mails.find((m) => m.subject.includes('database'))!.text).toContain('Sent directly by this hub');
    mails.length = 0;
    n.onAlert(at(t0 + 10_000, { severity: 'info', alert: 'group_recovered', group: 'futures', message: 'group futures is fed again' }));
    n.onAlert(at(t0 + 10_000, { ...databaseAlert({ up: true, downMs: 10_000 }) }));
    n.onAlert(recovered('sim-b', t0 + 20_000));
    await n.idle();
    expect(mails.map((m) => m.subject).sort()).toEqual([
      '[mdhub hub-a] RECOVERED configuration database unreachable (after 10 s)',
      '[mdhub hub-a] RECOVERED group futures down (after 10 s)',
      '[mdhub hub-a] RECOVERED source sim-b circuit open (after 20 s)',
    ]);
    await n.stop();
    await repo.close();
  });

  it('an alert with no recovery (calendar_ending) is mailed once, then again about a day later while it persists', async () => {
    const { open } = await database();
    const { service, repo } = await open();
    const { n } = await notifier(service);
    const ending = (ts: number): AlertRecord => at(ts, { severity: 'warning', alert: 'calendar_ending', code: 'MDH_ERR_CALENDAR_DATA_ENDING', message: 'trading-calendar data ends on 2026-12-31' });
    n.onAlert(ending(t0));
    n.onAlert(ending(t0 + 3600_000));
    await n.idle();
    expect(mails.map((m) => m.subject)).toEqual(['[mdhub hub-a] WARNING calendar ending']);
    expect(mails[0]!.text).toContain('npx mdhub calendar import FILE');
    n.onAlert(ending(t0 + 24 * 3600_000 - 1000)); // the next daily check, a little early
    await n.idle();
    expect(mails).toHaveLength(2);
    expect(mails[1]!.text).toContain('Incident: calendar_ending:hub#1');
    expect((await service.incident('calendar_ending:hub#0'))?.state).toBe('closed');
    await n.stop();
    await repo.close();
  });

  it('two hubs sharing one database send one email per incident, and one follow-up', async () => {
    const { open, hub } = await database();
    const a = await open();
    const b = hub(a.repo);
    const { n: na } = await notifier(a.service, { hubId: 'hub-a' });
    const { n: nb } = await notifier(b.service, { hubId: 'hub-b' });
    for (let i = 0; i < 3; i++) {
      na.onAlert(dead('sim-b', t0 + i));
      nb.onAlert(dead('sim-b', t0 + i));
      na.onAlert(at(t0, { severity: 'critical', alert: 'group_silent', group: 'futures', message: 'every source of group futures is silent' }));
      nb.onAlert(at(t0, { severity: 'critical', alert: 'group_silent', group: 'futures', message: 'every source of group futures is silent' }));
    }
    await Promise.all([na.idle(), nb.idle()]);
    expect(mails.map((m) => m.subject)).toHaveLength(2);
    expect(mails.map((m) => m.subject.replace(/^\[mdhub hub-[ab]\] /, '')).sort()).toEqual(['CRITICAL group futures silent', 'WARNING source sim-b dead']);
    mails.length = 0;
    nb.onAlert(recovered('sim-b', t0 + 5000));
    na.onAlert(recovered('sim-b', t0 + 5001));
    await Promise.all([na.idle(), nb.idle()]);
    expect(mails).toHaveLength(1);
    expect(mails[0]!.subject).toMatch(/RECOVERED source sim-b dead/);
    expect(na.counts.sent + nb.counts.sent).toBe(3);
    await Promise.all([na.stop(), nb.stop()]);
    await a.repo.close();
  });

  it('an alert about a hub itself (hub_outside_schedule) is an incident per hub; the calendar is shared', async () => {
    const { open, hub } = await database();
    const a = await open();
    const b = hub(a.repo);
    const { n: na } = await notifier(a.service, { hubId: 'hub-a' });
    const { n: nb } = await notifier(b.service, { hubId: 'hub-b' });
    const outside = (ts: number): AlertRecord => at(ts, { severity: 'warning', alert: 'hub_outside_schedule', message: 'the hub started at 2026-12-07 06:00 Asia/Shanghai, outside its schedule' });
    const ending = (ts: number): AlertRecord => at(ts, { severity: 'warning', alert: 'calendar_ending', code: 'MDH_ERR_CALENDAR_DATA_ENDING', message: 'trading-calendar data ends in 24 days' });
    na.onAlert(outside(t0));
    na.onAlert(ending(t0));
    await na.idle();
    // Hours later another hub starts outside its schedule: a fact of its own, not a repeat of hub-a's.
    nb.onAlert(outside(t0 + 3 * 3600_000));
    nb.onAlert(ending(t0 + 3 * 3600_000));
    await nb.idle();
    expect(mails.map((m) => m.subject)).toEqual([
      '[mdhub hub-a] WARNING hub outside schedule',
      '[mdhub hub-a] WARNING calendar ending',
      '[mdhub hub-b] WARNING hub outside schedule',
    ]);
    expect(mails[0]!.text).toContain('Incident: hub_outside_schedule:hub-a#0');
    expect(mails[2]!.text).toContain('Incident: hub_outside_schedule:hub-b#0');
    // A hub restarted outside its schedule (a fresh process) repeats its own incident: no email.
    const { n: nb2 } = await notifier(b.service, { hubId: 'hub-b' });
    nb2.onAlert(outside(t0 + 4 * 3600_000));
    await nb2.idle();
    expect(mails).toHaveLength(3);
    await Promise.all([na.stop(), nb.stop(), nb2.stop()]);
    await a.repo.close();
  });

  it('at most maxPerHour emails; the rest are counted and summarised in the next one', async () => {
    const { open } = await database();
    const { service, repo } = await open();
    let now = t0;
    const { n, log } = await notifier(service, { setting: { maxPerHour: 2 }, now: () => now });
    for (const s of ['s1', 's2', 's3', 's4', 's5']) n.onAlert(dead(s, now));
    await n.idle();
    expect(mails).toHaveLength(2);
    expect(n.counts).toEqual({ sent: 2, failed: 0, rate_limited: 3 });
    expect(log.records.filter((r) => r.code === 'MDH_ERR_ALERT_RATE_LIMITED').length).toBeGreaterThanOrEqual(1);
    now += 3600_000;
    n.onAlert(dead('s6', now));
    await n.idle();
    expect(mails).toHaveLength(3);
    expect(mails[2]!.text).toContain('Rate limit: 3 emails not sent since the last one (source_dead ×3)');
    await n.stop();
    await repo.close();
  });

  it('alerts below the severity threshold send nothing', async () => {
    const { open } = await database();
    const { service, repo } = await open();
    const { n } = await notifier(service, { setting: { minSeverity: 'critical' } });
    n.onAlert(dead('sim-b'));
    n.onAlert(at(t0, { severity: 'info', alert: 'hub_outside_schedule', message: 'the hub started outside its schedule' }));
    n.onAlert(recovered('sim-b', t0 + 1000));
    await n.idle();
    expect(mails).toEqual([]);
    n.onAlert(at(t0, { severity: 'critical', alert: 'group_down', group: 'g', message: 'group g has no healthy source' }));
    await n.idle();
    expect(mails.map((m) => m.subject)).toEqual(['[mdhub hub-a] CRITICAL group g down']);
    await n.stop();
    await repo.close();
  });

  it('an SMTP server that refuses connections is logged with its code and counted; nothing throws', async () => {
    const closed = await new Promise<number>((resolve) => {
      const s = net.createServer().listen(0, '127.0.0.1', () => {
        const p = (s.address() as net.AddressInfo).port;
        s.close(() => resolve(p));
      });
    });
    const { open } = await database();
    const { service, repo } = await open();
    const { n, log } = await notifier(service, { smtpPort: closed });
    expect(() => n.onAlert(dead('sim-b'))).not.toThrow();
    await n.idle();
    expect(n.counts).toEqual({ sent: 0, failed: 1, rate_limited: 0 });
    const rec = log.records.find((r) => r.code === 'MDH_ERR_ALERT_EMAIL_FAILED');
    expect(rec?.level).toBe('error');
    expect(String(rec?.details?.['reason'])).toMatch(/ECONNREFUSED/);
    await n.stop();
    await repo.close();
  });

  it('with the incident table unreachable the email goes out directly, once per process, and says so', async () => {
    const { open } = await database();
    const { service, repo } = await open();
    const down: IncidentStore = {
      claimIncident: () => Promise.reject(new Error('connect ECONNREFUSED 127.0.0.1:3306')),
      incident: () => Promise.reject(new Error('down')),
      incidents: () => Promise.reject(new Error('down')),
      updateIncident: () => Promise.reject(new Error('down')),
    };
    const { n, log } = await notifier(service, { store: down });
    n.onAlert(dead('sim-b'));
    n.onAlert(dead('sim-b', t0 + 1));
    await n.idle();
    expect(mails).toHaveLength(1);
    expect(mails[0]!.text).toContain('Sent directly by this hub');
    expect(log.records.some((r) => r.code === 'MDH_ERR_ALERT_INCIDENT_STORE')).toBe(true);
    n.onAlert(recovered('sim-b', t0 + 2000));
    await n.idle();
    expect(mails).toHaveLength(2);
    expect(mails[1]!.subject).toBe('[mdhub hub-a] RECOVERED source sim-b dead (after 2 s)');
    await n.stop();
    await repo.close();
  });

  it('the daily summary goes out once a day at its host-local time, from one hub of those sharing the database', async () => {
    const { open, hub } = await database();
    const a = await open();
    const b = hub(a.repo);
    let now = new Date(2026, 11, 7, 17, 59).getTime(); // host-local
    const setting = { dailySummary: '18:00' };
    const { n: na } = await notifier(a.service, { hubId: 'hub-a', setting, now: () => now });
    const { n: nb } = await notifier(b.service, { hubId: 'hub-b', setting, now: () => now });
    na.start();
    nb.start();
    na.onAlert(dead('sim-b', now - 3600_000));
    na.onAlert(recovered('sim-b', now - 3500_000));
    na.onAlert(at(now - 60_000, { severity: 'critical', alert: 'group_down', group: 'g', message: 'group g has no healthy source' }));
    await na.idle();
    mails.length = 0;
    na.checkSummary();
    nb.checkSummary();
    await Promise.all([na.idle(), nb.idle()]);
    expect(mails).toEqual([]);
    now += 2 * 60_000; // 18:01
    na.checkSummary();
    nb.checkSummary();
    na.checkSummary();
    await Promise.all([na.idle(), nb.idle()]);
    expect(mails).toHaveLength(1);
    expect(mails[0]!.subject).toMatch(/^\[mdhub hub-[ab]\] daily summary: 2 incidents, 1 open$/);
    expect(mails[0]!.text).toContain('WARNING source sim-b dead (hub hub-a; closed after 1 min 40 s)');
    expect(mails[0]!.text).toContain('CRITICAL group g down (hub hub-a; still open)');
    await Promise.all([na.stop(), nb.stop()]);
    await a.repo.close();
  });

  it('durations read as an operator writes them', () => {
    expect(formatDuration(65_000)).toBe('1 min 5 s');
    expect(formatDuration(3_600_000)).toBe('1 h');
    expect(formatDuration(3_725_000)).toBe('1 h 2 min 5 s');
    expect(formatDuration(0)).toBe('0 s');
  });
});

