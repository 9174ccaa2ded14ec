import { describe, expect, it } from 'vitest';
import { AlertHook } from '../../src/hub/alerts.js';
import { Logger } from '../../src/hub/logger.js';

describe('the alert hook', () => {
  it('hands every alert to each listener and the log (critical as error, with its code); a listener that throws stops no other', () => {
    const lines: string[] = [];
    const log = new Logger({ level: 'info', format: 'json', stream: { write: (l: string) => void lines.push(l) } });
    const hook = new AlertHook(log);
    const got: string[] = [];
    hook.on(() => { throw new Error('listener bug'); });
    const off = hook.on((a) => got.push(`${a.severity}:${a.alert}`));
    hook.emit({ severity: 'critical', alert: 'group_down', group: 'g', code: 'MDH_ERR_GROUP_NO_SOURCE', message: 'group g has no healthy source inside its trading session' });
    hook.emit({ severity: 'info', alert: 'source_recovered', source: 'a', message: 'source a feeds again (ok)' });
    off();
    hook.emit({ severity: 'warning', alert: 'source_stale', source: 'a', message: 'source a is stale' });
    expect(got).toEqual(['critical:group_down', 'info:source_recovered']);
    expect(hook.recent.map((a) => a.alert)).toEqual(['group_down', 'source_recovered', 'source_stale']);
    const recs = lines.map((l) => JSON.parse(l) as { level: string; code?: string; msg: string; area: string });
    expect(recs.filter((r) => r.area === 'alert' && r.msg !== 'an alert listener threw').map((r) => [r.level, r.code ?? null])).toEqual([['error', 'MDH_ERR_GROUP_NO_SOURCE'], ['info', null], ['warn', null]]);
    expect(recs.some((r) => r.msg === 'an alert listener threw')).toBe(true);
  });
});
