/**
 * Secrets never leak: a broker password and auth code entered with --password-stdin reach the gateway
 * child (over IPC, proven by a digest the child logs) and appear nowhere else: not in the hub's logs, an
 * export without --with-secrets, the CLI's listings, /healthz, /metrics, `mdhub status`, a dump of the
 * database (SQLite file, mariadb-dump), nor a child's argv or environment (which carries neither the
 * database URL nor the key). Under another key the account's gateway gets a named error and the rest runs.
 */
import crypto from 'node:crypto';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CLI, mdhub, startHubProcess, waitFor, type HubProcess } from './helpers.js';
import { REQUIRE_ALL, localDatabase, localMariaDown } from './mariadb.js';

const PASSWORD = 'Pa55-e2e-Secret!x';
const AUTH = 'AUTHCODE-e2e-7788';
const KEY = crypto.randomBytes(32).toString('base64');
const digest = (s: string): string => crypto.createHash('sha256').update(s).digest('hex').slice(0, 16);

// A simulated gateway that takes its credentials from an account and logs only a digest of them.
const VAULT = `
import crypto from 'node:crypto';
export const plugin = {
  name: 'test-vault', kind: 'gateway', coreVersion: '>=0.1.0', defaultName: 'VAULT', simulated: true,
  accountFields: ['broker_id', 'user_id', 'password', 'auth_code', 'fronts'],
  configSchema: { safeParse: (v) => (typeof v?.password === 'string' || v?.password === undefined ? { success: true, data: v } : { success: false, error: { issues: [{ path: ['password'], message: 'string' }] } }) },
  create: (ctx) => ({
    start: async () => {
      const d = (s) => crypto.createHash('sha256').update(String(s)).digest('hex').slice(0, 16);
      ctx.log('info', 'credentials received', { password_sha256: d(ctx.config.password), auth_sha256: d(ctx.config.auth_code), user: ctx.config.user_id });
      ctx.setState('subscribed');
    },
    stop: async () => {},
  }),
};`;

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

function childPids(hub: HubProcess): number[] {
  return hub.childPids();
}

async function run(dbUrl: string, dump: () => string): Promise<void> {
  const pluginDir = path.join(path.dirname(CLI), '../../../tests/e2e/.plugins', `vault-${process.pid}-${crypto.randomBytes(3).toString('hex')}`);
  fs.mkdirSync(pluginDir, { recursive: true });
  dirs.push(pluginDir);
  const plugin = path.join(pluginDir, 'vault.mjs');
  fs.writeFileSync(plugin, VAULT);
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'mdhub-e2e-'));
  dirs.push(dataDir);
  const env = { ...process.env, MDHUB_DB_URL: dbUrl, MDHUB_SECRET_KEY: KEY };
  const cli = (args: string[], input?: string): Promise<string> => mdhub([...args, '--data-dir', dataDir], { env, ...(input !== undefined ? { input } : {}) });
  await cli(['db', 'migrate']);
  await cli(['db', 'seed-demo']);
  await cli(['account', 'add', '--name', 'acc', '--kind', 'ctp', '--broker-id', '9999', '--user-id', 'u-081234', '--fronts', 'tcp://127.0.0.1:10211', '--password-stdin', '--auth-code-stdin'], `${PASSWORD}\n${AUTH}\n`);
  await cli(['gateway', 'add', '--name', 'vault', '--plugin', plugin, '--account', 'acc', '--config', '{}']);

  const hub = await startHubProcess([], { dataDir, env });
  try {
    await waitFor('the child logged the digest of what it received', () => hub.output().includes(digest(PASSWORD)), 20_000);
    expect(hub.output()).toContain(digest(AUTH));
    const leaks = (text: string): string[] => [PASSWORD, AUTH, KEY].filter((s) => text.includes(s));
    expect(leaks(hub.output()), 'hub log').toEqual([]);

    // every child: no secret, no database URL, no key in its argv or environment
    const pids = childPids(hub);
    expect(pids.length).toBe(4);
    for (const pid of pids) {
      const environ = fs.readFileSync(`/proc/${pid}/environ`, 'utf8');
      const cmdline = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8');
      expect(leaks(environ), `environ of ${pid}`).toEqual([]);
      expect(environ).not.toContain('MDHUB_DB_URL');
      expect(environ).not.toContain('MDHUB_SECRET_KEY');
      expect(environ).not.toContain(dbUrl);
      expect(leaks(cmdline), `argv of ${pid}`).toEqual([]);
    }

    expect(leaks(await cli(['config', 'export'])), 'export').toEqual([]);
    expect(await cli(['config', 'export', '--with-secrets'])).toContain(PASSWORD); // the check above can see a secret
    expect(leaks(await cli(['account', 'list', '--json'])), 'account list').toEqual([]);
    expect(leaks(await cli(['gateway', 'list', '--json'])), 'gateway list').toEqual([]);
    expect(leaks(await cli(['status', '--json'])), 'status').toEqual([]);
    expect(leaks(await (await fetch(`http://${hub.ready.http}/healthz`)).text()), 'healthz').toEqual([]);
    expect(leaks(await (await fetch(`http://${hub.ready.http}/metrics`)).text()), 'metrics').toEqual([]);
    expect(leaks(dump()), 'database dump').toEqual([]);
    expect(leaks(JSON.stringify(fs.readdirSync(dataDir).map((f) => { try { return fs.readFileSync(path.join(dataDir, f), 'utf8'); } catch { return ''; } }))), 'data folder').toEqual([]);
  } finally {
    await hub.stop();
  }

  // Another key: the account's gateway is a named error, the simulated sources run.
  const other = await startHubProcess([], { dataDir, env: { ...env, MDHUB_SECRET_KEY: crypto.randomBytes(32).toString('base64') } });
  try {
    expect([...other.ready.sources].sort()).toEqual(['sim-a', 'sim-b', 'sim-c']);
    expect(other.output()).toContain('MDH_ERR_SECRET_KEY_MISMATCH');
    expect(other.output()).not.toContain(PASSWORD);
  } finally {
    await other.stop();
  }
}

describe('secrets', () => {
  it('never appear outside the gateway child: SQLite', async () => {
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'mdhub-e2e-')), 'ext.sqlite');
    dirs.push(path.dirname(file));
    await run(`sqlite:${file}`, () => fs.readFileSync(file).toString('latin1'));
  });

  it('never appear outside the gateway child: MariaDB, checked with mariadb-dump', async () => {
    const down = await localMariaDown();
    if (down !== null) {
      if (REQUIRE_ALL) throw new Error(`MariaDB at 127.0.0.1:3306 is not reachable (${down})`);
      console.log(`SKIPPED the MariaDB secrets test: ${down}`);
      return;
    }
    const db = await localDatabase('secrets');
    try {
      await run(db.url, () => {
        const r = spawnSync('mariadb-dump', ['-h127.0.0.1', '-uroot', db.name], { encoding: 'utf8' });
        if (r.status !== 0) throw new Error(r.stderr);
        expect(r.stdout).toContain('INSERT INTO `accounts`'); // the dump holds the account row
        return r.stdout;
      });
    } finally {
      await db.drop();
    }
  });
});
