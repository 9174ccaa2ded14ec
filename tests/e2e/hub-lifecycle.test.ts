/**
 * The hub as an operator runs it: `mdhub stop`, and `mdhub gateway stop|start|restart` on the running
 * hub through its control socket (audited); a dead or silent data plane turns /healthz to 503 at once
 * and the hub exits non-zero within 5 s (its service manager starts a new run); a SIGKILLed hub takes
 * its gateway children with it, even one that is SIGSTOPped.
 */
import fs from 'node:fs';
import path from 'node:path';
import * as zmq from 'zeromq';
import { describe, expect, it } from 'vitest';
import { decodeEvent } from '@mdhub/protocol';
import { controlRequest } from '@mdhub/core';
import { alive, mdhub, sleep, startHubProcess, useHubAndClient, waitFor } from './helpers.js';

const fx = useHubAndClient();

describe('hub lifecycle', () => {
  it('stops and starts one gateway on the running hub, hard-restarts it, and stops the hub, all from the CLI', async () => {
    const hub = fx.hub = await startHubProcess();
    const dd = ['--data-dir', hub.dataDir];
    const pidOf = async (id: string): Promise<number | null> => (await (await fetch(`http://${hub.ready.http}/healthz`)).json() as { sources: Array<{ id: string; pid: number | null; state: string }> }).sources.find((s) => s.id === id)?.pid ?? null;
    await waitFor('sim-b running', async () => (await pidOf('sim-b')) !== null);
    const pid = (await pidOf('sim-b'))!;
    expect(await mdhub(['gateway', 'stop', 'sim-b', ...dd])).toContain('stopped sim-b');
    expect(alive(pid)).toBe(false);
    const st = JSON.parse(await mdhub(['status', '--json', ...dd])) as { health: { sources: Array<{ id: string; state: string; reason: string | null; stopped_by_admin: boolean }> } };
    expect(st.health.sources.find((s) => s.id === 'sim-b')).toMatchObject({ state: 'stopped', reason: 'stopped_by_admin', stopped_by_admin: true });
    await sleep(1500);
    expect(await pidOf('sim-b')).toBeNull(); // stays stopped: no restart policy for an admin stop
    await mdhub(['gateway', 'start', 'sim-b', ...dd]);
    await waitFor('sim-b back', async () => (await pidOf('sim-b')) !== null);
    const again = (await pidOf('sim-b'))!;
    await mdhub(['gateway', 'restart', 'sim-b', ...dd]);
    await waitFor('sim-b hard-restarted', async () => { const p = await pidOf('sim-b'); return p !== null && p !== again; });
    expect(alive(again)).toBe(false);
    const audit = JSON.parse(await mdhub(['audit', '--json', ...dd])) as Array<{ actor: string; action: string; target: string; hub_id: string }>;
    expect(audit.slice(0, 3).map((e) => [e.action, e.target])).toEqual([['gateway.restart', 'sim-b'], ['gateway.start', 'sim-b'], ['gateway.stop', 'sim-b']]);
    expect(audit[0]!.actor).toMatch(/^cli:/);
    expect(audit[0]!.hub_id).toBe(hub.ready.hubId);
    expect(await mdhub(['stop', ...dd])).toContain('stopped hub');
    await waitFor('the hub process exits', () => hub.proc.exitCode !== null, 10_000);
    expect(hub.proc.exitCode).toBe(0);
    for (const f of ['hub.pid', 'ready.json', 'control.sock', 'children.json']) expect(fs.existsSync(path.join(hub.dataDir, f)), f).toBe(false);
  });

  for (const op of ['exit', 'hang'] as const) {
    it(`a data plane that ${op === 'exit' ? 'dies' : 'hangs'} makes /healthz 503 at once and the hub exit non-zero within 5 s`, async () => {
      const hub = fx.hub = await startHubProcess();
      const children = await waitFor('children', () => (hub.childPids().length === 3 ? hub.childPids() : null));
      const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }>((r) => hub.proc.once('exit', (code, signal) => r({ code, signal, at: Date.now() })));
      const t0 = Date.now();
      await controlRequest(hub.ready.control, 'dataplane.fault', { op });
      const res = await waitFor('503', async () => {
        try {
          const r = await fetch(`http://${hub.ready.http}/healthz`);
          return r.status === 503 ? r : null;
        } catch {
          return null;
        }
      }, 5000, 25);
      const body = await res.json() as { status: string; reasons: string[] };
      expect(body.status).toBe('down');
      expect(body.reasons.join(' ')).toContain('data plane dead');
      const { code, signal, at } = await exited;
      // A dead worker: exit code 70. A hung one cannot be torn down (its ZeroMQ sockets): SIGKILL, never a clean 0.
      if (op === 'exit') expect(code).toBe(70);
      else expect(signal).toBe('SIGKILL');
      expect(at - t0).toBeLessThan(5000 + 500);
      expect(hub.output()).toContain('MDH_ERR_DATAPLANE_DEAD');
      await waitFor('children gone', () => children.every((p) => !alive(p)), 5000);
    });
  }

  it('a SIGKILLed hub takes its gateway children with it, a SIGSTOPped one too', async () => {
    const hub = fx.hub = await startHubProcess();
    const children = await waitFor('children', () => (hub.childPids().length === 3 ? hub.childPids() : null));
    process.kill(children[0]!, 'SIGSTOP');
    await hub.stop('SIGKILL');
    await waitFor('every child gone', () => children.every((p) => !alive(p)), 5000);
  });

  it('a hub stalled for 12 s (SIGSTOP, a paused VM) kills no healthy source and keeps its data plane', async () => {
    const hub = fx.hub = await startHubProcess();
    const children = await waitFor('children', () => (hub.childPids().length === 3 ? hub.childPids() : null));
    await sleep(1500);
    process.kill(hub.proc.pid!, 'SIGSTOP');
    await sleep(12_000); // longer than the 10 s after which a silent child counts as hung
    process.kill(hub.proc.pid!, 'SIGCONT');
    await sleep(4000);
    expect(hub.proc.exitCode).toBeNull(); // the data plane's own watchdog did not take the stall for a death
    expect(hub.childPids().sort()).toEqual([...children].sort());
    for (const pid of children) expect(alive(pid)).toBe(true);
    expect(hub.output()).not.toMatch(/source_hung|source_killed/);
    expect(hub.output()).toMatch(/hub_stalled/);
    const health = await (await fetch(`http://${hub.ready.http}/healthz`)).json() as { status: string };
    expect(health.status).toBe('ok');
  });

  it('the heartbeat carries when the run started and the hub\'s state: running, then stopping', async () => {
    const t0 = Date.now();
    const hub = fx.hub = await startHubProcess();
    const sub = new zmq.Subscriber({ linger: 0, receiveTimeout: 5000 });
    try {
      sub.connect(hub.ready.pub);
      sub.subscribe('heartbeat');
      const beats: Array<Record<string, unknown>> = [];
      const reading = (async () => {
        try {
          for await (const [, payload] of sub) beats.push(decodeEvent(payload!));
        } catch { /* closed, or the hub went away */ }
      })();
      await waitFor('a running heartbeat', () => beats.some((b) => b['state'] === 'running'), 20_000);
      const hb = beats.find((b) => b['state'] === 'running')!;
      expect(hb['started_at'] as number).toBeGreaterThanOrEqual(t0);
      expect(hb['started_at'] as number).toBeLessThanOrEqual(Date.now());
      expect(hb).toMatchObject({ run_id: hub.ready.runId, features: ["batch"], v: 1 });
      await mdhub(['stop', '--data-dir', hub.dataDir]);
      await waitFor('a stopping heartbeat', () => beats.some((b) => b['state'] === 'stopping'), 10_000);
      sub.close();
      await reading;
    } finally {
      if (!sub.closed) sub.close();
    }
  });

  it('a restarted simulated hub continues its market where the last run left it (never back to 09:35)', async () => {
    const first = fx.hub = await startHubProcess([], { simAnchor: null });
    const a1 = first.ready.clock.anchorMs;
    await sleep(3000);
    expect(await first.stop()).toBe(0);
    const second = fx.hub = await startHubProcess([], { simAnchor: null, dataDir: first.dataDir });
    const a2 = second.ready.clock.anchorMs;
    expect(a2).toBeGreaterThanOrEqual(a1 + 2500); // it resumed after the ~3 s the first run's market ran
    expect(a2 - a1).toBeLessThan(3_600_000);
  });
});
