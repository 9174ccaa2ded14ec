import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach } from 'vitest';
import type { MdhubClient } from '@mdhub/client';
import { connect } from '@mdhub/client';
import type { Tick } from '@mdhub/protocol';
import type { ConfigService, ReadyInfo, ServiceHandle } from '@mdhub/core';
import { openService } from '@mdhub/core';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const CLI = path.join(ROOT, 'packages/core/dist/cli.js');

/** Tests pin the simulated market clock so instrument ids are stable (rb2701, SR701 on 2026-11-25). */
export const SIM_ANCHOR = '2026-11-25T09:35:00+08:00';

/**
 * Runs the `mdhub` CLI as a user does; resolves to stdout, rejects with stderr on a non-zero exit. Never
 * spawnSync while a hub runs: this process must keep reading the hub's output.
 */
export function mdhub(args: string[], opts: { env?: NodeJS.ProcessEnv; input?: string } = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, [CLI, ...args], { env: opts.env ?? process.env, stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    p.stdout!.on('data', (d: Buffer) => { out += d.toString(); });
    p.stderr!.on('data', (d: Buffer) => { err += d.toString(); });
    const timer = setTimeout(() => p.kill('SIGKILL'), 60_000);
    p.on('exit', (code) => {
      clearTimeout(timer);
      if (code === 0) resolve(out);
      else reject(new Error(`mdhub ${args.join(' ')} exited ${String(code)}: ${err}`));
    });
    p.stdin!.end(opts.input ?? '');
  });
}

/** The actor test writes are recorded as in the audit log. */
export const TEST_ACTOR = { name: 'test' };

/**
 * Writes a hub's configuration before it starts, through the configuration service (as `mdhub gateway add`
 * and friends do): the embedded SQLite of `dataDir`, or `db`.
 */
export async function configure(dataDir: string, fn: (s: ConfigService, h: ServiceHandle) => Promise<void>, db?: string, env: NodeJS.ProcessEnv = {}): Promise<void> {
  const h = await openService({ db, dataDir, env, schema: 'check', createKey: true });
  try {
    await fn(h.service, h);
  } finally {
    await h.close();
  }
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export async function waitFor<T>(what: string, fn: () => T | undefined | null | false | Promise<T | undefined | null | false>, timeoutMs = 20_000, everyMs = 50): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await sleep(everyMs);
  }
}

export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

export interface HubProcess {
  proc: ChildProcess;
  dataDir: string;
  ready: ReadyInfo;
  output: () => string;
  /** Gateway pids as the hub recorded them (children.json). */
  childPids: () => number[];
  stop: (signal?: NodeJS.Signals) => Promise<number | null>;
}

/** Starts `mdhub start` as a user would (the built CLI), on free loopback ports, in a temp data folder. */
export async function startHubProcess(extra: string[] = [], opts: { dataDir?: string; pub?: string; env?: NodeJS.ProcessEnv; hubId?: string; simAnchor?: string | null } = {}): Promise<HubProcess> {
  const dataDir = opts.dataDir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'mdhub-e2e-'));
  fs.rmSync(path.join(dataDir, 'ready.json'), { force: true });
  const args = [CLI, 'start', '--data-dir', dataDir, '--pub', opts.pub ?? 'tcp://127.0.0.1:*', '--snapshot', 'tcp://127.0.0.1:*', '--http', '127.0.0.1:0', '--hub-id', opts.hubId ?? `e2e${process.pid}`, ...(opts.simAnchor === null ? [] : ['--sim-anchor', opts.simAnchor ?? SIM_ANCHOR]), ...extra];
  const proc = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'], env: opts.env ?? { ...process.env } });
  let out = '';
  proc.stdout!.on('data', (d: Buffer) => { out += d.toString(); });
  proc.stderr!.on('data', (d: Buffer) => { out += d.toString(); });
  let exited = false;
  proc.on('exit', () => { exited = true; });
  const readyFile = path.join(dataDir, 'ready.json');
  const ready = await waitFor('hub ready file', () => {
    if (exited) throw new Error(`hub exited early:\n${out}`);
    try {
      const r = JSON.parse(fs.readFileSync(readyFile, 'utf8')) as ReadyInfo;
      return r.pid === proc.pid ? r : null;
    } catch {
      return null;
    }
  }, 30_000);
  const childPids = (): number[] => {
    try {
      return JSON.parse(fs.readFileSync(path.join(dataDir, 'children.json'), 'utf8')) as number[];
    } catch {
      return [];
    }
  };
  const stop = async (signal: NodeJS.Signals = 'SIGTERM'): Promise<number | null> => {
    if (exited) return proc.exitCode;
    const done = new Promise<number | null>((r) => proc.once('exit', (code) => r(code)));
    proc.kill(signal);
    const t = setTimeout(() => proc.kill('SIGKILL'), 10_000);
    const code = await done;
    clearTimeout(t);
    return code;
  };
  return { proc, dataDir, ready, output: () => out, childPids, stop };
}

/**
 * Per-test hub and client, both ended after each test (the client first, then the hub and its gateway
 * processes). Call once at the top of a test file.
 */
export function useHubAndClient(): { hub: HubProcess | null; client: MdhubClient | null } {
  const slot: { hub: HubProcess | null; client: MdhubClient | null } = { hub: null, client: null };
  afterEach(async () => {
    await slot.client?.close();
    slot.client = null;
    await slot.hub?.stop();
    slot.hub = null;
  });
  return slot;
}

/** What a subscriber of every tick and every status event saw. */
export interface Watch {
  client: MdhubClient;
  ticks: Tick[];
  statuses: Array<Record<string, unknown>>;
}

/** Connects a client to a hub's PUB endpoint that records every tick (`*`) and every status event. */
export function watchHub(endpoint: string): Watch {
  const client = connect({ endpoint });
  const w: Watch = { client, ticks: [], statuses: [] };
  client.watchEvents();
  client.on('status', (e: { status: Record<string, unknown> }) => w.statuses.push(e.status));
  client.subscribe('*', (t) => w.ticks.push(t));
  return w;
}
