/**
 * Email alerts end to end: a real hub (the simulated demo) whose `alerts` setting, set live with
 * `mdhub settings set`, points at an SMTP receiver on loopback (smtp-server). A stalled source is mailed
 * once as an incident however many alerts it raises (stale, restarted …), and once more when it
 * feeds again; /metrics counts what was sent.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSmtpReceiver } from '../../packages/core/test/smtp-receiver.js';
import type { ReceivedMail } from '../../packages/core/test/smtp-receiver.js';
import { mdhub, startHubProcess, useHubAndClient, waitFor } from './helpers.js';

const fx = useHubAndClient();

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

describe('email alerts', () => {
  it('a stalled source is one incident email and one recovery email', async () => {
    const hub = fx.hub = await startHubProcess([], { hubId: 'e2email' });
    const dir = ['--data-dir', hub.dataDir];
    const health = async (id: string): Promise<string | undefined> => {
      const st = JSON.parse(await mdhub(['status', ...dir, '--json'])) as { health: { sources: Array<{ id: string; health: string }> } };
      return st.health.sources.find((s) => s.id === id)?.health;
    };
    await waitFor('sim-b feeding', async () => (await health('sim-b')) === 'ok', 30_000, 250);

    await mdhub(['settings', 'set', 'alerts', JSON.stringify({ enabled: true, smtp: { host: '127.0.0.1', port }, from: 'mdhub@test.local', to: ['ops@test.local'] }), ...dir]);
    await waitFor('email alerts applied live', () => hub.output().includes('email alerts on'), 15_000);

    await mdhub(['gateway', 'control', 'sim-b', 'stall', 'ms=8000', ...dir]);
    const incident = await waitFor('the incident email', () => mails.find((m) => m.subject.includes('source sim-b')), 30_000);
    expect(incident.subject).toMatch(/^\[mdhub e2email\] WARNING source sim-b (stale|dead|restarted)$/);
    expect(incident.to).toEqual(['ops@test.local']);
    expect(incident.raw).toContain('Hub:      e2email');
    expect(incident.raw).toContain('Incident: source:sim-b#0');
    expect(incident.raw).toContain('Asia/Shanghai');

    const recovery = await waitFor('the recovery email', () => mails.find((m) => m.subject.includes('RECOVERED source sim-b')), 60_000);
    expect(recovery.subject).toMatch(/^\[mdhub e2email\] RECOVERED source sim-b (stale|dead|restarted) \(after .+\)$/);
    expect(recovery.raw).toContain('source:sim-b#0');
    await waitFor('sim-b ok again', async () => (await health('sim-b')) === 'ok', 30_000, 250);
    console.log(`email alerts: ${mails.map((m) => m.subject).join(' | ')}`);
    // Everything the stall raised (stale, the hard restart, the hold-down) was one incident.
    expect(mails.filter((m) => m.subject.includes('source sim-b'))).toHaveLength(2);
    const metrics = await (await fetch(`http://${hub.ready.http}/metrics`)).text();
    expect(Number(/^mdhub_alert_emails_total\{result="sent"\} (\d+)$/m.exec(metrics)?.[1])).toBeGreaterThanOrEqual(2);
  });
});
