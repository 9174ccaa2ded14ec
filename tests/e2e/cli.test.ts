/**
 * The CLI as a user meets it in a checkout: `npx mdhub --help` works (the bin is linked by npm
 * install), `mdhub <command> --help` prints usage and exits 0 for every command, and a wrong command or
 * flag exits 2 with the usage.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { COMMANDS } from '../../packages/core/src/cli/spec.js';
import { CLI, ROOT, mdhub, startHubProcess } from './helpers.js';

function run(cmd: string, args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const p = spawn(cmd, args, { cwd: ROOT, env: { ...process.env, MDHUB_DB_URL: '' } });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (d: Buffer) => { stdout += d.toString(); });
    p.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
    p.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('mdhub CLI', () => {
  it('npx mdhub --help works in the checkout', async () => {
    const r = await run('npx', ['--no-install', 'mdhub', '--help']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('usage: mdhub <command>');
    for (const c of COMMANDS) expect(r.stdout).toContain(c.name);
  });

  it('every command answers --help with its usage and exit 0', async () => {
    const results = await Promise.all(COMMANDS.map(async (c) => ({ c, r: await run(process.execPath, [CLI, ...c.name.split(' '), '--help']) })));
    for (const { c, r } of results) {
      expect(r.code, `${c.name}: ${r.stderr}`).toBe(0);
      expect(r.stdout).toContain(`usage: mdhub ${c.name}`);
    }
    const group = await run(process.execPath, [CLI, 'gateway', '--help']);
    expect(group.code).toBe(0);
    expect(group.stdout).toContain('gateway add');
  });

  it('a wrong command or flag exits 2 with the usage', async () => {
    const a = await run(process.execPath, [CLI, 'gateway', 'frobnicate']);
    expect(a.code).toBe(2);
    expect(a.stderr).toContain('MDH_ERR_CLI_USAGE');
    expect(a.stderr).toContain('usage: mdhub gateway');
    const b = await run(process.execPath, [CLI, 'gateway', 'add', '--nmae', 'x']);
    expect(b.code).toBe(2);
    expect(b.stderr).toContain('--nmae');
    const c = await run(process.execPath, [CLI]);
    expect(c.code).toBe(2);
  });

  it('tail takes the clients\' patterns (rb*.SHFE) on a running hub and names a bad one before connecting', async () => {
    const bad = await run(process.execPath, [CLI, 'tail', 'rb**.SHFE', '--data-dir', fs.mkdtempSync(path.join(os.tmpdir(), 'mdhub-tail-'))]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('MDH_ERR_CLIENT_BAD_PATTERN');
    const hub = await startHubProcess();
    try {
      const out = await mdhub(['tail', 'rb*.SHFE', '--data-dir', hub.dataDir, '--count', '3']);
      const rows = out.split('\n').filter((l) => /^\d{2}:\d{2}:\d{2}\.\d{3} /.test(l));
      expect(rows).toHaveLength(3);
      for (const r of rows) expect(r.split(/\s+/)[1]).toMatch(/^rb\d{4}\.SHFE$/);
    } finally {
      await hub.stop();
    }
  });

  it('rotates the secret key: with the key file, and with MDHUB_SECRET_KEY=NEW,OLD', async () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'mdhub-cli-'));
    const env = { ...process.env, MDHUB_DB_URL: '', MDHUB_SECRET_KEY: '' };
    const dd = ['--data-dir', dataDir];
    await mdhub(['account', 'add', '--name', 'a', '--kind', 'ctp', '--broker-id', '1', '--user-id', 'u', '--fronts', 'tcp://127.0.0.1:1', '--password-stdin', ...dd], { env, input: 'pw-one-1234\n' });
    const before = JSON.parse(await mdhub(['secrets', 'status', '--json', ...dd], { env })) as { key_id: string; stored_key_id: string; readable: number; source: string };
    expect(before).toMatchObject({ readable: 1, source: 'file' });
    expect(before.stored_key_id).toBe(before.key_id);
    expect(await mdhub(['secrets', 'rotate', ...dd], { env })).toContain('re-encrypted 1 secrets');
    const after = JSON.parse(await mdhub(['secrets', 'status', '--json', ...dd], { env })) as typeof before;
    expect(after.key_id).not.toBe(before.key_id);
    expect(after).toMatchObject({ readable: 1, stored_key_id: after.key_id });
    expect(fs.existsSync(path.join(dataDir, `secret.key.${before.key_id}.old`))).toBe(true);
    expect(fs.statSync(path.join(dataDir, 'secret.key')).mode & 0o777).toBe(0o600);
    // with the key in the environment: the new key first, the old one after
    const oldKey = fs.readFileSync(path.join(dataDir, 'secret.key'), 'utf8').trim();
    const newKey = (await mdhub(['secrets', 'new-key'], { env })).trim();
    const envOld = { ...env, MDHUB_SECRET_KEY: oldKey };
    await expect(mdhub(['secrets', 'rotate', ...dd], { env: envOld })).rejects.toThrow(/NEW,OLD/);
    expect(await mdhub(['secrets', 'rotate', ...dd], { env: { ...env, MDHUB_SECRET_KEY: `${newKey},${oldKey}` } })).toContain('re-encrypted 1 secrets');
    const final = JSON.parse(await mdhub(['secrets', 'status', '--json', ...dd], { env: { ...env, MDHUB_SECRET_KEY: newKey } })) as typeof before;
    expect(final).toMatchObject({ readable: 1, source: 'env' });
    const stale = JSON.parse(await mdhub(['secrets', 'status', '--json', ...dd], { env: envOld })) as typeof before;
    expect(stale.readable).toBe(0);
    fs.rmSync(dataDir, { recursive: true, force: true });
  });
});
