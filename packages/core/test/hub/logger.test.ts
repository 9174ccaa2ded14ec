/** The hub's logger: JSON records in the wire's log shape; a plugin's malformed record is logged, never a crash. */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import type { LogRecord } from '@mdhub/protocol';
import { Logger } from '../../src/hub/logger.js';

function capture(): { log: Logger; lines: () => Array<Record<string, unknown>>; sunk: LogRecord[] } {
  let text = '';
  const stream = new Writable({ write(chunk: Buffer, _e, cb) { text += chunk.toString(); cb(); } });
  const log = new Logger({ level: 'debug', stream: stream as never });
  const sunk: LogRecord[] = [];
  log.addSink((r) => sunk.push(r));
  return { log, sunk, lines: () => text.trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>) };
}

describe('Logger', () => {
  it('writes the log shape: level, ts, area, code, details, msg', () => {
    const { log, lines, sunk } = capture();
    log.error('store', 'a row was skipped', { table: 'gateways' }, 'MDH_ERR_DB_BAD_ROW');
    expect(lines()[0]).toEqual({ level: 'error', ts: expect.any(Number), area: 'store', code: 'MDH_ERR_DB_BAD_ROW', details: { table: 'gateways' }, msg: 'a row was skipped' });
    expect(sunk).toHaveLength(1);
  });

  it('logs a record with an unknown level as info instead of throwing', () => {
    const { log, lines, sunk } = capture();
    expect(() => log.write({ level: 'warning' as never, ts: 1, msg: 42 as never, area: 'gateway:x' })).not.toThrow();
    expect(lines()[0]).toMatchObject({ level: 'info', given_level: 'warning', msg: '42', area: 'gateway:x' });
    expect(sunk[0]?.level).toBe('info');
  });
});

describe('the recent-records ring', () => {
  it('returns records newest first, filtered by level, area prefix, text and time, at most limit', async () => {
    const { Logger } = await import('../../src/hub/logger.js');
    const log = new Logger({ level: 'info', format: 'json', stream: { write: () => {} } });
    log.debug('hub', 'not kept: below the level');
    log.info('hub', 'started');
    log.warn('gateway:sim-a', 'front lost', { reason: '0x1001' }, 'MDH_ERR_X');
    log.error('gateway:sim-b', 'login refused');
    log.info('config', 'revision 3 applied');
    expect(log.recent().map((r) => r.msg)).toEqual(['revision 3 applied', 'login refused', 'front lost', 'started']);
    expect(log.recent({ level: 'warn' }).map((r) => r.msg)).toEqual(['login refused', 'front lost']);
    expect(log.recent({ area: 'gateway:' }).map((r) => r.area)).toEqual(['gateway:sim-b', 'gateway:sim-a']);
    expect(log.recent({ text: '0X1001' }).map((r) => r.msg)).toEqual(['front lost']);
    expect(log.recent({ text: 'mdh_err_x' }).map((r) => r.msg)).toEqual(['front lost']);
    expect(log.recent({ limit: 1 }).map((r) => r.msg)).toEqual(['revision 3 applied']);
    expect(log.recent({ since: Date.now() + 1000 })).toEqual([]);
  });
});

describe('log files', () => {
  const tmp = (): string => fs.mkdtempSync(path.join(os.tmpdir(), 'mdhub-logs-'));
  const readLines = (f: string): Array<Record<string, unknown>> => fs.readFileSync(f, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);

  it('writes every record as a JSON line, the first ones too, and rotates by size keeping the newest files', async () => {
    const dir = tmp();
    const log = new Logger({ level: 'info', stream: { write: () => {} }, file: { dir, keep: 2, maxBytes: 20 * 1024 } });
    log.info('hub', 'record 0: written before the file is open');
    // A hub logs in small groups, not in one burst (a rotation happens once the file's writes drain).
    for (let i = 1; i < 1100; i++) {
      log.info('hub', `record ${i}`, { pad: 'x'.repeat(100) });
      if (i % 20 === 0) await new Promise((r) => setTimeout(r, 2));
    }
    await log.flush();
    // ~150 KB at 20 KB a file: at least six rotations; old files are deleted at each, 2 kept in all.
    const numbered = (): string[] => fs.readdirSync(dir).filter((f) => f.startsWith('mdhub.')).sort((a, b) => Number(a.split('.')[2]) - Number(b.split('.')[2]));
    const last = (): string => fs.readFileSync(path.join(dir, 'current.log'), 'utf8').trim().split('\n').at(-1) ?? '';
    await waitUntil(() => numbered().length === 2 && Number(numbered()[1]!.split('.')[2]) >= 6 && last().includes('"record 1099"'));
    const files = numbered();
    expect(fs.realpathSync(path.join(dir, 'current.log'))).toBe(fs.realpathSync(path.join(dir, files[1]!)));
    const newest = readLines(path.join(dir, files[1]!));
    expect(newest.at(-1)).toMatchObject({ level: 'info', area: 'hub', msg: 'record 1099' });
    // Nothing lost or reordered inside what was kept.
    const kept = files.flatMap((f) => readLines(path.join(dir, f))).map((r) => Number(String(r['msg']).split(' ')[1]));
    expect(kept).toEqual(Array.from({ length: kept.length }, (_, i) => 1100 - kept.length + i));
    log.close();
  });

  it('keeps the first records of a run (written before pino-roll opened the file)', async () => {
    const dir = tmp();
    const log = new Logger({ level: 'info', stream: { write: () => {} }, file: { dir, keep: 2, maxBytes: 1024 * 1024 } });
    log.warn('hub', 'the first record', undefined, 'MDH_ERR_X');
    await waitUntil(() => fs.existsSync(path.join(dir, 'current.log')) && fs.readFileSync(path.join(dir, 'current.log'), 'utf8').includes('the first record'));
    expect(readLines(path.join(dir, 'current.log'))[0]).toMatchObject({ level: 'warn', code: 'MDH_ERR_X', msg: 'the first record' });
    log.close();
  });

  it('a folder it cannot write turns files off with a named warning; logging goes on', async () => {
    const parent = tmp();
    fs.writeFileSync(path.join(parent, 'not-a-dir'), '');
    let text = '';
    const log = new Logger({ level: 'info', stream: { write: (s: string) => { text += s; } }, file: { dir: path.join(parent, 'not-a-dir', 'logs'), keep: 2, maxBytes: 1024 * 1024 } });
    log.info('hub', 'still logged');
    await waitUntil(() => text.includes('MDH_ERR_LOG_FILE'));
    log.info('hub', 'and after');
    expect(text).toContain('still logged');
    expect(text).toContain('and after');
  });
});

async function waitUntil(fn: () => boolean, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!fn()) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 20));
  }
}
