/**
 * The CLI as a user meets it in a checkout: `npx mdhub --help` works (the bin is linked by npm
 * install), `mdhub <command> --help` prints usage and exits 0 for every command, and a wrong command or
 * flag exits 2 with the usage.
 */
import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { COMMANDS } from '../../packages/core/src/cli/spec.js';
import { CLI, ROOT } from './helpers.js';

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
});
