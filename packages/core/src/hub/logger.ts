/**
 * The hub's logger: structured records through pino, human-readable on a terminal (pino-pretty) and
 * JSON lines otherwise; warnings and errors on stderr, the rest on stdout; and sinks that receive every
 * record (the `log` topic, and later the dashboard's ring).
 */
import { pino, multistream, destination } from 'pino';
import type { Logger as Pino, DestinationStream } from 'pino';
import { createRequire } from 'node:module';
import fs from 'node:fs';
import path from 'node:path';
import type { LogLevel, LogRecord } from '@mdhub/protocol';

const LEVELS = new Set<string>(['debug', 'info', 'warn', 'error']);
const LEVEL_RANK: Record<string, number> = { debug: 0, info: 1, warn: 2, error: 3 };
/** Records the log API can read back (about 100k: ~30 MB at most). */
export const RING_SIZE = 100_000;

/** Rotated JSON log files (pino-roll): `<dir>/mdhub.<date>.<n>.log`, a new file daily and at `maxBytes`; `current.log` links the newest. */
export interface LogFileOptions {
  dir: string;
  /** Files kept in all, the one being written included (older ones are deleted at a rotation). */
  keep: number;
  maxBytes: number;
}

export interface LoggerOptions {
  level?: LogLevel;
  /** `pretty` on a terminal by default, else `json`. */
  format?: 'json' | 'pretty';
  /** Where records go (tests): one stream for every level instead of stdout / stderr. */
  stream?: DestinationStream;
  /** Also write every record as a JSON line to rotated files. */
  file?: LogFileOptions;
}

/**
 * The log file's stream while pino-roll opens it (asynchronously): records written meanwhile wait here
 * (bounded), so the first lines of a run reach the file too. If the file cannot be opened they are
 * dropped and the hub logs to stdout / stderr only, saying so once.
 */
class FileStream {
  private dest: Flushable | null = null;
  private waiting: string[] | null = [];
  private waitingBytes = 0;
  private failed = false;
  private settle: () => void = () => {};
  /** Settles once the file is open, or off: a flush before exit waits for it, so no early record is lost. */
  readonly settled = new Promise<void>((r) => { this.settle = r; });

  write(line: string): void {
    if (this.dest !== null) this.dest.write(line);
    else if (this.waiting !== null && this.waitingBytes < MAX_PENDING_BYTES) {
      this.waiting.push(line);
      this.waitingBytes += line.length;
    }
  }

  attach(dest: Flushable): void {
    this.dest = dest;
    for (const line of this.waiting ?? []) dest.write(line);
    this.waiting = null;
    this.settle();
  }

  /** Turns the file off; false when it already was. */
  fail(): boolean {
    if (this.failed) return false;
    this.failed = true;
    this.dest = null;
    this.waiting = null;
    this.settle();
    return true;
  }

  flush(cb: (err?: Error) => void): void {
    void this.settled.then(() => {
      if (this.dest?.flush) this.dest.flush(cb);
      else cb();
    });
  }

  end(): void {
    (this.dest as { end?: () => void } | null)?.end?.();
  }
}

type RollStream = Flushable & { on(ev: 'error', fn: (err: Error) => void): void };

async function openLogFile(f: LogFileOptions): Promise<RollStream> {
  // The folder first: pino-roll links current.log right after it starts opening the file, and SonicBoom
  // makes a missing folder only asynchronously.
  await fs.promises.mkdir(f.dir, { recursive: true });
  await fs.promises.access(f.dir, fs.constants.W_OK);
  const roll = createRequire(import.meta.url)('pino-roll') as (o: Record<string, unknown>) => Promise<RollStream>;
  return roll({
    file: path.join(f.dir, 'mdhub'), extension: '.log', dateFormat: 'yyyy-MM-dd', frequency: 'daily', size: `${Math.max(1, Math.ceil(f.maxBytes / 1024))}k`,
    symlink: true, limit: { count: f.keep, removeOtherLogFiles: true },
    // Written synchronously (pino's own default for files): a record is on disk when the call returns, so
    // nothing is lost at an exit or a crash. Records come a few a second, never per tick.
    sync: true,
  });
}

/** Most bytes of log records waiting for a slow reader of stdout or stderr before new ones are dropped. */
const MAX_PENDING_BYTES = 8 * 1024 * 1024;

type Flushable = DestinationStream & { flush?: (cb?: (err?: Error) => void) => void };

function streams(format: 'json' | 'pretty', made: Flushable[]): DestinationStream {
  const make = (fd: 1 | 2): Flushable => {
    // Writes never block the control plane on a reader that does not keep up (a full pipe): records
    // wait in a bounded buffer and are written as the reader takes them.
    const dest: Flushable = destination({ dest: fd, sync: false, maxLength: MAX_PENDING_BYTES });
    made.push(dest);
    if (format === 'json') return dest;
    // pino-pretty loads only for a terminal (about 6 MB the JSON-logging hub does not carry).
    const pretty = createRequire(import.meta.url)('pino-pretty') as typeof import('pino-pretty');
    return pretty({
      destination: dest as never, colorize: Boolean(fd === 1 ? process.stdout.isTTY : process.stderr.isTTY), messageKey: 'msg', timestampKey: 'ts',
      translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname,area', messageFormat: '{area}: {msg}', hideObject: false, singleLine: true,
    });
  };
  return multistream([{ level: 'debug', stream: make(1) }, { level: 'warn', stream: make(2) }], { dedupe: true });
}

export class Logger {
  private readonly pino: Pino;
  private readonly sinks: Array<(rec: LogRecord) => void> = [];
  private readonly outputs: Flushable[] = [];
  private readonly file: FileStream | null = null;
  readonly level: LogLevel;
  /** The log files' folder, when records also go to files. */
  readonly fileDir: string | null;

  constructor(opts: LoggerOptions = {}) {
    this.level = opts.level ?? 'info';
    const format = opts.format ?? (process.stdout.isTTY ? 'pretty' : 'json');
    let dest = opts.stream ?? streams(format, this.outputs);
    this.fileDir = opts.file?.dir ?? null;
    if (opts.file) {
      const file = (this.file = new FileStream());
      this.outputs.push(file as unknown as Flushable);
      // Files always get JSON lines (for tools and for support), whatever the terminal shows.
      dest = multistream([{ level: 'debug', stream: file as unknown as DestinationStream }, { level: 'debug', stream: dest }]);
      const off = (err: unknown): void => {
        if (!file.fail()) return;
        this.warn('log', `log files off: ${opts.file!.dir} cannot be written (${err instanceof Error ? err.message : String(err)})`, { dir: opts.file!.dir }, 'MDH_ERR_LOG_FILE');
      };
      openLogFile(opts.file).then((s) => {
        // A write or rotation that fails later (disk full, folder removed) turns files off; never a crash.
        s.on('error', off);
        file.attach(s);
      }, off);
    }
    this.pino = pino({
      level: this.level, base: null, timestamp: false, messageKey: 'msg',
      formatters: { level: (label) => ({ level: label }) },
    }, dest);
  }

  /** Closes the log file (after {@link flush}): the process is about to exit. */
  close(): void {
    this.file?.end();
  }

  /** Waits (at most `timeoutMs`) until buffered records are written: before the process exits. */
  async flush(timeoutMs = 1000): Promise<void> {
    await Promise.race([
      Promise.all(this.outputs.map((s) => new Promise<void>((r) => {
        try {
          if (typeof s.flush === 'function') s.flush(() => r());
          else r();
        } catch {
          r();
        }
      }))),
      new Promise((r) => setTimeout(r, timeoutMs).unref()),
    ]);
  }

  /** The recent records (a ring of RING_SIZE), for the log API and the dashboard; files are for history. */
  private readonly ring: Array<LogRecord | undefined> = new Array(RING_SIZE);
  private ringNext = 0;
  private ringCount = 0;

  private readonly listeners: Array<(rec: LogRecord) => void> = [];

  /** Called with every record kept in the ring (the control API's live log). A listener that throws is ignored. */
  onRecord(fn: (rec: LogRecord) => void): void {
    this.listeners.push(fn);
  }

  private remember(rec: LogRecord): void {
    for (const fn of this.listeners) {
      try {
        fn(rec);
      } catch { /* a listener never breaks logging */ }
    }
    this.ring[this.ringNext] = rec;
    this.ringNext = (this.ringNext + 1) % RING_SIZE;
    if (this.ringCount < RING_SIZE) this.ringCount++;
  }

  /**
   * Recent records, newest first, that match: at least `level`, `area` (exact, or a prefix ending in
   * `:`, e.g. `gateway:`), `text` (case-insensitive, in the message, the code or the details), not older
   * than `since`; at most `limit`.
   */
  recent(q: { level?: LogLevel; area?: string; text?: string; since?: number; limit?: number } = {}): LogRecord[] {
    const min = q.level ? LEVEL_RANK[q.level] : 0;
    const text = q.text?.toLowerCase();
    const limit = q.limit ?? 1000;
    const out: LogRecord[] = [];
    for (let k = 0; k < this.ringCount && out.length < limit; k++) {
      const r = this.ring[(this.ringNext - 1 - k + RING_SIZE) % RING_SIZE]!;
      if (q.since !== undefined && r.ts < q.since) break;
      if ((LEVEL_RANK[r.level] ?? 0) < min) continue;
      if (q.area !== undefined && r.area !== q.area && !(q.area.endsWith(':') && String(r.area).startsWith(q.area))) continue;
      if (text !== undefined && !`${r.msg} ${r.code ?? ''} ${r.details ? JSON.stringify(r.details) : ''}`.toLowerCase().includes(text)) continue;
      out.push(r);
    }
    return out;
  }

  addSink(fn: (rec: LogRecord) => void): void {
    this.sinks.push(fn);
  }

  /**
   * Writes a record; `forward` false keeps it off the sinks (it came from the data plane, which published
   * it). Records from plugins are input: an unknown level is logged as `info`, never a crash.
   */
  write(rec: LogRecord, forward = true): void {
    const level: LogLevel = LEVELS.has(rec.level) ? rec.level : 'info';
    if (this.pino.isLevelEnabled(level)) this.remember(level === rec.level ? rec : { ...rec, level });
    const fields: Record<string, unknown> = { ts: typeof rec.ts === 'number' ? rec.ts : Date.now(), area: String(rec.area) };
    if (rec.code) fields['code'] = String(rec.code);
    if (level !== rec.level) fields['given_level'] = String(rec.level).slice(0, 40);
    if (rec.details && typeof rec.details === 'object' && Object.keys(rec.details).length > 0) fields['details'] = rec.details;
    this.pino[level](fields, String(rec.msg));
    if (forward && this.pino.isLevelEnabled(level)) for (const s of this.sinks) s(level === rec.level ? rec : { ...rec, level });
  }

  log(level: LogLevel, area: string, msg: string, details?: Record<string, unknown>, code?: string): void {
    this.write({ level, ts: Date.now(), msg, area, ...(code ? { code } : {}), ...(details ? { details } : {}) });
  }
  debug(area: string, msg: string, details?: Record<string, unknown>): void { this.log('debug', area, msg, details); }
  info(area: string, msg: string, details?: Record<string, unknown>): void { this.log('info', area, msg, details); }
  warn(area: string, msg: string, details?: Record<string, unknown>, code?: string): void { this.log('warn', area, msg, details, code); }
  error(area: string, msg: string, details?: Record<string, unknown>, code?: string): void { this.log('error', area, msg, details, code); }

  /** Records an error with its catalog code and details. */
  failure(area: string, msg: string, err: unknown, extra: Record<string, unknown> = {}): void {
    const e = err as { code?: unknown; details?: Record<string, unknown>; message?: string };
    this.log('error', area, msg, { ...extra, ...(e.details ?? { error: e.message ?? String(err) }) }, typeof e.code === 'string' ? e.code : undefined);
  }
}
