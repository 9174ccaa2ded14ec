/**
 * The alert hook: health and operations events above a severity, handed to whoever listens (the
 * operations issue connects email). Every alert is also logged (warn, or error when critical). A
 * listener that throws is logged and never stops the others.
 */
import type { AlertEvent } from './source-health.js';
import type { Logger } from './logger.js';

export type AlertListener = (a: AlertEvent & { ts: number }) => void;

export class AlertHook {
  private readonly listeners = new Set<AlertListener>();
  /** The last alerts (newest last), for the status command and tests. */
  readonly recent: Array<AlertEvent & { ts: number }> = [];

  constructor(private readonly log: Logger) {}

  on(fn: AlertListener): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  emit(a: AlertEvent): void {
    const full = { ...a, ts: Date.now() };
    this.recent.push(full);
    if (this.recent.length > 200) this.recent.shift();
    const details = { alert: a.alert, severity: a.severity, ...(a.source ? { source: a.source } : {}), ...(a.group ? { group: a.group } : {}) };
    if (a.severity === 'critical') this.log.error('alert', a.message, details, a.code);
    else if (a.severity === 'warning') this.log.warn('alert', a.message, details, a.code);
    else this.log.info('alert', a.message, details);
    for (const fn of this.listeners) {
      try {
        fn(full);
      } catch (err) {
        this.log.warn('alert', 'an alert listener threw', { error: String(err) });
      }
    }
  }
}

/**
 * The alert for the configuration database going away (`db_unreachable`, critical) or coming back
 * (`db_recovered`, info): the reconciler's poll decides, the hub hands this to the hook.
 */
export function databaseAlert(s: { up: false; reason: string } | { up: true; downMs: number }): AlertEvent {
  return s.up
    ? { severity: 'info', alert: 'db_recovered', message: `the configuration database is reachable again after ${Math.round(s.downMs / 1000)} s` }
    : { severity: 'critical', alert: 'db_unreachable', code: 'MDH_ERR_DB_UNREACHABLE', message: `the configuration database is unreachable: ${s.reason}; ticks keep flowing on the last applied configuration` };
}
