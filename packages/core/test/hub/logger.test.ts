/** The hub's logger: JSON records in the wire's log shape; a plugin's malformed record is logged, never a crash. */
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
