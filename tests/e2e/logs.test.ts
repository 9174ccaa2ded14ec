/**
 * The hub's log output as an operator sees it: pretty, human-readable lines on a terminal (a real
 * pseudo-terminal made by util-linux `script`), JSON lines when piped, and the same records as JSON in
 * the rotated files under the data folder (`<data-dir>/logs/current.log`), or none with `--log-dir off`.
 * The command is `mdhub start --if-trading-day` on a holiday (clock injected with MDHUB_NOW): one record.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { CLI, mdhub } from './helpers.js';

const HOLIDAY = '2026-10-01T08:30:00+08:00';
const tmp = (): string => fs.mkdtempSync(path.join(os.tmpdir(), 'mdhub-logs-'));
const env = { ...process.env, MDHUB_DB_URL: '', MDHUB_NOW: HOLIDAY };
const quote = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`;

/** Runs the CLI inside a pseudo-terminal; resolves to what the terminal showed. */
function onTerminal(args: string[]): Promise<string> {
  const command = [process.execPath, CLI, ...args].map(quote).join(' ');
  return new Promise((resolve, reject) => {
    const p = spawn('script', ['-qec', command, '/dev/null'], { env, stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    p.stdout!.on('data', (d: Buffer) => { out += d.toString(); });
    p.stderr!.on('data', (d: Buffer) => { out += d.toString(); });
    const timer = setTimeout(() => p.kill('SIGKILL'), 60_000);
    p.on('error', reject);
    p.on('exit', (code) => {
      clearTimeout(timer);
      if (code === 0) resolve(out);
      else reject(new Error(`script exited ${String(code)}: ${out}`));
    });
    p.stdin!.end();
  });
}

describe('log output', () => {
  it('on a terminal: one pretty line (time, level, area: message), no JSON; the file still gets JSON', async () => {
    const dir = tmp();
    const shown = await onTerminal(['start', '--if-trading-day', '--data-dir', dir]);
    const plain = shown.replace(/\x1b\[[0-9;]*m/g, '').trim(); // eslint-disable-line no-control-regex
    expect(plain).toMatch(/^\[\d{2}:\d{2}:\d{2}\.\d{3}\] INFO: schedule: not starting \(--if-trading-day\): no session opens within 10 min/);
    expect(plain).not.toContain('{"level"');
    expect(shown).toContain('\x1b['); // colours: a terminal
    const file = fs.readFileSync(path.join(dir, 'logs', 'current.log'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(file).toEqual([expect.objectContaining({ level: 'info', area: 'schedule', msg: expect.stringMatching(/^not starting/) })]);
  });

  it('piped: JSON lines in the wire log shape; --log-dir off writes no files', async () => {
    const dir = tmp();
    const out = await mdhub(['start', '--if-trading-day', '--data-dir', dir, '--log-dir', 'off'], { env });
    const lines = out.trim().split('\n');
    expect(lines).toHaveLength(1);
    const rec = JSON.parse(lines[0]!) as Record<string, unknown>;
    expect(rec).toMatchObject({ level: 'info', area: 'schedule', ts: expect.any(Number), details: { date: '20261001', trading_day: false } });
    expect(String(rec['msg'])).toMatch(/^not starting \(--if-trading-day\)/);
    expect(fs.existsSync(path.join(dir, 'logs'))).toBe(false);
  });

  it('--log-format pretty forces pretty lines through a pipe (for a service manager that wants them)', async () => {
    const out = await mdhub(['start', '--if-trading-day', '--data-dir', tmp(), '--log-format', 'pretty'], { env });
    expect(out.trim()).toMatch(/^\[\d{2}:\d{2}:\d{2}\.\d{3}\] INFO: schedule: not starting/);
    expect(out).not.toContain('\x1b['); // no colours into a pipe
  });
});
