/**
 * Email alerts from two hubs sharing one database: two real hub processes (the built CLI, hub ids
 * e2esa… and e2esb…) on one MariaDB database (a private database on 127.0.0.1:3306), one SMTP receiver
 * on loopback (smtp-server). Both hubs see the same incidents and the receiver gets exactly one email
 * per incident (docs/operations.md "Several hubs, one database"; Decisions: alert de-duplication):
 * - `calendar_ending` (key `calendar_ending:hub`, no recovery): both hubs start, in parallel, on a
 *   simulated market clock 24 days before the shipped calendar data ends, so each raises it at start.
 * - a source incident with its recovery (key `source:sim-b`): sim-b is stalled on both hubs at once;
 *   both raise it and both see it recover, and one incident email plus one recovery follow-up go out.
 * The hub that did not send says in its log which hub did; the `alert_incidents` table holds one row per
 * incident (and one `/closed` row per recovery); the hubs' `mdhub_alert_emails_total{result="sent"}` add
 * up to the emails received.
 */
import fs from 'node:fs';
import mysql from 'mysql2/promise';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSmtpReceiver } from '../../packages/core/test/smtp-receiver.js';
import type { ReceivedMail } from '../../packages/core/test/smtp-receiver.js';
import { mdhub, sleep, startHubProcess, waitFor, type HubProcess } from './helpers.js';
import { REQUIRE_ALL, localDatabase, localMariaDown } from './mariadb.js';

/** 24 days before the shipped calendar data ends (2026-12-31): calendar_ending is raised at start. */
const NEAR_CALENDAR_END = '2026-12-07T09:35:00+08:00';
const HUB_A = `e2esa${process.pid}`;
const HUB_B = `e2esb${process.pid}`;

let receiver: Awaited<ReturnType<typeof startSmtpReceiver>>;
let mails: ReceivedMail[] = [];
let port = 0;

beforeAll(async () => {
  receiver = await startSmtpReceiver();
  ({ mails, port } = receiver);
});

afterAll(async () => {
  await receiver.close();
});

interface IncidentRow { incident_key: string; state: string; hub_id: string }

async function incidentRows(dbName: string): Promise<IncidentRow[]> {
  const c = await mysql.createConnection({ host: '127.0.0.1', port: 3306, user: 'root', password: '', database: dbName });
  try {
    const [rows] = await c.query('SELECT incident_key, state, hub_id FROM alert_incidents ORDER BY incident_key');
    return rows as IncidentRow[];
  } finally {
    await c.end();
  }
}

async function sentCount(h: HubProcess): Promise<number> {
  const m = await (await fetch(`http://${h.ready.http}/metrics`)).text();
  return Number(/^mdhub_alert_emails_total\{result="sent"\} (\d+)$/m.exec(m)?.[1] ?? 'NaN');
}

describe('email alerts from hubs sharing one database', () => {
  it('two hubs that see the same incidents send one email per incident and one recovery follow-up', async () => {
    const down = await localMariaDown();
    if (down !== null) {
      if (REQUIRE_ALL) throw new Error(`MariaDB at 127.0.0.1:3306 is not reachable (${down})`);
      console.log(`SKIPPED the shared email-alerts test: MariaDB at 127.0.0.1:3306 is not reachable (${down})`);
      return;
    }
    const db = await localDatabase('alerts');
    const env = { ...process.env, MDHUB_SECRET_KEY: 'Zq3mV8tXo1LkP4wR7yB2nC5dF9gH0jA6sE3uI8oTq1M=' };
    const hubs: HubProcess[] = [];
    try {
      await mdhub(['db', 'migrate', '--db', db.url], { env });
      await mdhub(['db', 'seed-demo', '--db', db.url], { env });
      // The shared setting, in force before the hubs start (so the alerts they raise at start are mailed).
      await mdhub(['settings', 'set', 'alerts', JSON.stringify({ enabled: true, smtp: { host: '127.0.0.1', port }, from: 'mdhub@test.local', to: ['ops@test.local'] }), '--db', db.url], { env });

      const started = await Promise.allSettled([HUB_A, HUB_B].map((hubId) => startHubProcess(['--db', db.url], { env, hubId, simAnchor: NEAR_CALENDAR_END })));
      for (const s of started) if (s.status === 'fulfilled') hubs.push(s.value);
      for (const s of started) if (s.status === 'rejected') throw s.reason;
      const [a, b] = hubs as [HubProcess, HubProcess];
      for (const h of hubs) expect(h.output()).toContain('email alerts on: ops@test.local');

      // 1. calendar_ending, raised by both hubs at start: one email, the other hub joins the incident.
      const calendar = await waitFor('the calendar_ending email', () => mails.find((m) => m.subject.includes('calendar ending')), 20_000);
      const calSender = /^\[mdhub (\S+)\] /.exec(calendar.subject)?.[1] ?? '';
      expect([HUB_A, HUB_B]).toContain(calSender);
      const calOther = calSender === HUB_A ? b : a;
      await waitFor('the other hub joins the calendar incident', () => calOther.output().includes(`incident calendar_ending:hub#0 was emailed by hub ${calSender}`), 20_000);
      expect(calendar.subject).toBe(`[mdhub ${calSender}] WARNING calendar ending`);
      expect(calendar.to).toEqual(['ops@test.local']);
      expect(calendar.text).toContain('Incident: calendar_ending:hub#0');
      expect(calendar.text).toContain('MDH_ERR_CALENDAR_DATA_ENDING');
      expect(calendar.text).toContain('trading-calendar data ends in 24 days');
      expect(calendar.text).toContain(`Hub:      ${calSender}`);
      expect(calendar.text).toContain('mdhub calendar import');

      // 2. sim-b stalled on both hubs at once: each raises the source incident and sees it recover.
      const health = async (h: HubProcess, id: string): Promise<string | undefined> => {
        const st = JSON.parse(await mdhub(['status', '--data-dir', h.dataDir, '--json'], { env })) as { health: { sources: Array<{ id: string; health: string }> } };
        return st.health.sources.find((s) => s.id === id)?.health;
      };
      for (const h of hubs) await waitFor(`sim-b feeding on ${h.ready.hubId}`, async () => (await health(h, 'sim-b')) === 'ok', 30_000, 250);
      await Promise.all(hubs.map((h) => mdhub(['gateway', 'control', 'sim-b', 'stall', 'ms=8000', '--data-dir', h.dataDir], { env })));

      const incident = await waitFor('the sim-b incident email', () => mails.find((m) => /\] WARNING source sim-b /.test(m.subject)), 30_000);
      const srcSender = /^\[mdhub (\S+)\] /.exec(incident.subject)?.[1] ?? '';
      expect([HUB_A, HUB_B]).toContain(srcSender);
      const srcOther = srcSender === HUB_A ? b : a;
      expect(incident.subject).toMatch(new RegExp(`^\\[mdhub ${srcSender}\\] WARNING source sim-b (stale|dead|restarted)$`));
      expect(incident.text).toContain('Incident: source:sim-b#0');
      expect(incident.text).toContain('Source:   sim-b');
      await waitFor('the other hub joins the sim-b incident', () => srcOther.output().includes(`incident source:sim-b#0 was emailed by hub ${srcSender}`), 20_000);

      const recovery = await waitFor('the sim-b recovery email', () => mails.find((m) => m.subject.includes('RECOVERED source sim-b')), 60_000);
      expect(recovery.subject).toMatch(/^\[mdhub \S+\] RECOVERED source sim-b (stale|dead|restarted) \(after .+\)$/);
      expect(recovery.text).toContain('Incident:  source:sim-b#0');
      // Both hubs saw sim-b recover (the one that did not send the follow-up lost its claim on `/closed`).
      for (const h of hubs) await waitFor(`sim-b recovered on ${h.ready.hubId}`, () => h.output().includes('source sim-b feeds again'), 30_000);
      await waitFor('the recovery claimed', async () => (await incidentRows(db.name)).some((r) => r.incident_key === 'source:sim-b#0/closed'), 10_000);
      await sleep(1500); // the other hub's claim of the follow-up (one insert) is done by now; a second email would have arrived

      const subjects = mails.map((m) => m.subject);
      console.log(`shared email alerts: ${subjects.join(' | ')}`);
      expect(mails.filter((m) => m.subject.includes('calendar ending'))).toHaveLength(1);
      expect(mails.filter((m) => /\] WARNING source sim-b /.test(m.subject))).toHaveLength(1);
      expect(mails.filter((m) => m.subject.includes('RECOVERED source sim-b'))).toHaveLength(1);
      // Nothing else was mailed, and no email went out twice: the hubs' sent counters add up to what arrived.
      expect(mails).toHaveLength(3);
      expect((await sentCount(a)) + (await sentCount(b))).toBe(3);

      const rows = await incidentRows(db.name);
      expect(rows.map((r) => [r.incident_key, r.state])).toEqual([
        ['calendar_ending:hub#0', 'open'],
        ['source:sim-b#0', 'closed'],
        ['source:sim-b#0/closed', 'closed'],
      ]);
      expect(rows.find((r) => r.incident_key === 'calendar_ending:hub#0')?.hub_id).toBe(calSender);
      expect(rows.find((r) => r.incident_key === 'source:sim-b#0')?.hub_id).toBe(srcSender);
      const recSender = /^\[mdhub (\S+)\] /.exec(recovery.subject)?.[1] ?? '';
      expect(rows.find((r) => r.incident_key === 'source:sim-b#0/closed')?.hub_id).toBe(recSender);
      for (const h of hubs) expect(h.output()).not.toContain('MDH_ERR_ALERT_');
    } finally {
      for (const h of hubs) {
        await h.stop();
        fs.rmSync(h.dataDir, { recursive: true, force: true });
      }
      await db.drop();
    }
  });
});
