/**
 * The files a running hub keeps in its data folder: `hub.pid` (one hub per folder), `children.json`
 * (gateway pids, so the next start removes what a crashed hub left), `ready.json` (the real endpoints,
 * for the CLI and tests) and the control socket. All of them are removed when the hub stops.
 */
import fs from 'node:fs';
import path from 'node:path';
import { MdhubError } from '../errors.js';
import type { ClockParams } from '../market/types.js';
import type { Logger } from './logger.js';

export interface ReadyInfo {
  hubId: string;
  runId: string;
  pid: number;
  pub: string;
  snapshot: string;
  http: string | null;
  /** The local control socket (`mdhub stop`, `mdhub gateway start|stop|restart`). */
  control: string;
  simulated: boolean;
  clock: ClockParams;
  sources: string[];
  /** The database URL, its password redacted. */
  db: string;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

export class RunFiles {
  readonly pidFile: string;
  readonly childrenFile: string;
  readonly readyFile: string;
  readonly controlSocket: string;
  /** The simulated market time a simulated hub last ran (a restarted demo resumes there). */
  readonly simClockFile: string;
  private locked = false;

  constructor(readonly dataDir: string, private readonly log: Logger) {
    this.pidFile = path.join(dataDir, 'hub.pid');
    this.childrenFile = path.join(dataDir, 'children.json');
    this.readyFile = path.join(dataDir, 'ready.json');
    this.controlSocket = path.join(dataDir, 'control.sock');
    this.simClockFile = path.join(dataDir, 'sim-clock.json');
  }

  /** The simulated market time recorded by the last simulated run of this data folder, or null. */
  readSimClock(): number | null {
    try {
      const v = (JSON.parse(fs.readFileSync(this.simClockFile, 'utf8')) as { market_ms?: unknown }).market_ms;
      return typeof v === 'number' && Number.isFinite(v) ? v : null;
    } catch {
      return null; // none yet, or unreadable: the default anchor
    }
  }

  writeSimClock(marketMs: number): void {
    try {
      fs.writeFileSync(this.simClockFile, JSON.stringify({ market_ms: Math.round(marketMs), saved_at: Date.now() }));
    } catch (err) {
      this.log.warn('hub', 'cannot record the simulated market time', { error: String(err) });
    }
  }

  /** Takes the data folder: MDH_ERR_HUB_ALREADY_RUNNING when a live hub holds it; then removes leftovers. */
  lock(): void {
    fs.mkdirSync(this.dataDir, { recursive: true });
    if (fs.existsSync(this.pidFile)) {
      const pid = Number(fs.readFileSync(this.pidFile, 'utf8'));
      if (Number.isInteger(pid) && pid !== process.pid && alive(pid)) {
        throw new MdhubError('MDH_ERR_HUB_ALREADY_RUNNING', { dataDir: this.dataDir, pid });
      }
    }
    fs.writeFileSync(this.pidFile, String(process.pid));
    this.locked = true;
    this.removeLeftovers();
  }

  /** Kills gateway processes a previous run (crashed or SIGKILLed) left behind in this data folder. */
  private removeLeftovers(): void {
    if (!fs.existsSync(this.childrenFile)) return;
    try {
      const pids = JSON.parse(fs.readFileSync(this.childrenFile, 'utf8')) as unknown;
      if (Array.isArray(pids)) {
        for (const pid of pids) {
          if (typeof pid !== 'number' || !alive(pid)) continue;
          let cmd = '';
          try { cmd = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8'); } catch { /* gone */ }
          if (!cmd.includes('gateway/host.js')) continue;
          process.kill(pid, 'SIGKILL');
          this.log.warn('hub', 'killed a gateway process left by an earlier run', { pid });
        }
      }
    } catch { /* unreadable record: nothing to clean */ }
    fs.rmSync(this.childrenFile, { force: true });
  }

  writeChildren(pids: number[]): void {
    fs.writeFileSync(this.childrenFile, JSON.stringify(pids));
  }

  writeReady(ready: ReadyInfo): void {
    fs.writeFileSync(this.readyFile, JSON.stringify(ready, null, 2));
  }

  /** Removes every file of the run (the lock last), when this hub holds the lock. */
  release(): void {
    if (!this.locked) return;
    for (const f of [this.readyFile, this.childrenFile, this.controlSocket, this.pidFile]) fs.rmSync(f, { force: true });
    this.locked = false;
  }
}

/** Reads the ready file a running hub wrote into its data folder (MDH_ERR_HUB_NOT_RUNNING otherwise). */
export function readReady(dataDir: string): ReadyInfo {
  const file = path.join(dataDir, 'ready.json');
  let r: ReadyInfo;
  try {
    r = JSON.parse(fs.readFileSync(file, 'utf8')) as ReadyInfo;
  } catch (err) {
    throw new MdhubError('MDH_ERR_HUB_NOT_RUNNING', { dataDir, reason: `no readable ${file}` }, err);
  }
  if (!alive(r.pid)) throw new MdhubError('MDH_ERR_HUB_NOT_RUNNING', { dataDir, pid: r.pid, reason: `the hub of ${file} (pid ${r.pid}) is gone` });
  return r;
}
