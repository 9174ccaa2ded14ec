import type { LogLevel, LogRecord } from '@mdhub/protocol';

const RANK: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

/** Structured logger: JSON lines (or a readable line on a terminal) plus a sink for the `log` topic. */
export class Logger {
  private sinks: Array<(rec: LogRecord) => void> = [];
  constructor(private readonly level: LogLevel = 'info', private readonly format: 'json' | 'pretty' = 'json') {}

  addSink(fn: (rec: LogRecord) => void): void {
    this.sinks.push(fn);
  }

  write(rec: LogRecord, forward = true): void {
    if (RANK[rec.level] < RANK[this.level]) return;
    const line = this.format === 'json'
      ? JSON.stringify(rec)
      : `${new Date(rec.ts).toISOString().slice(11, 23)} ${rec.level.toUpperCase().padEnd(5)} ${rec.area}: ${rec.msg}${rec.code ? ` [${rec.code}]` : ''}${rec.details && Object.keys(rec.details).length ? ` ${JSON.stringify(rec.details)}` : ''}`;
    (rec.level === 'error' || rec.level === 'warn' ? process.stderr : process.stdout).write(`${line}\n`);
    if (forward) for (const s of this.sinks) s(rec);
  }

  log(level: LogLevel, area: string, msg: string, details?: Record<string, unknown>, code?: string): void {
    this.write({ level, ts: Date.now(), msg, area, ...(code ? { code } : {}), ...(details ? { details } : {}) });
  }
  info(area: string, msg: string, details?: Record<string, unknown>): void { this.log('info', area, msg, details); }
  warn(area: string, msg: string, details?: Record<string, unknown>, code?: string): void { this.log('warn', area, msg, details, code); }
  error(area: string, msg: string, details?: Record<string, unknown>, code?: string): void { this.log('error', area, msg, details, code); }
}
