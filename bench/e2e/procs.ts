/**
 * Child processes of the benchmark: every process it starts is recorded here and killed at the end,
 * on error and on SIGINT/SIGTERM (the hub's gateway processes too, by the pids the hub recorded).
 */
import { fork, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { BENCH_DIR, ROOT } from './common.js';

const children = new Set<ChildProcess>();
/** Extra pids to kill at the end (gateway processes of our hubs). */
const extraPids = new Set<number>();
const tempDirs = new Set<string>();

export function track(p: ChildProcess): ChildProcess {
  children.add(p);
  p.once('exit', () => children.delete(p));
  return p;
}

export function trackPid(pid: number): void {
  extraPids.add(pid);
}

export function trackDir(dir: string): void {
  tempDirs.add(dir);
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Synchronous last-resort cleanup: SIGKILL everything still alive, remove temp dirs. */
export function killAll(keepDirs = false): void {
  for (const p of children) {
    if (p.pid !== undefined && p.exitCode === null && p.signalCode === null) {
      try { p.kill('SIGKILL'); } catch { /* gone */ }
    }
  }
  for (const pid of extraPids) {
    if (!alive(pid)) continue;
    // only our hubs' gateway processes: check it is still a gateway host before killing the pid
    let cmd = '';
    try { cmd = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8'); } catch { /* gone */ }
    if (cmd.includes('gateway/host.js')) {
      try { process.kill(pid, 'SIGKILL'); } catch { /* gone */ }
    }
  }
  if (!keepDirs) for (const d of tempDirs) fs.rmSync(d, { recursive: true, force: true });
}

let installed = false;
export function installCleanup(keepDirs: boolean): void {
  if (installed) return;
  installed = true;
  process.on('exit', () => killAll(keepDirs));
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.on(sig, () => {
      process.stderr.write(`\nbench:e2e: ${sig}, stopping every child process\n`);
      killAll(keepDirs);
      process.exit(130);
    });
  }
}

/** Forks a bench TypeScript file (run through tsx) with an IPC channel; stderr passes through. */
export function forkTs(file: string, args: string[], env: NodeJS.ProcessEnv = process.env, cpuProfDir?: string): ChildProcess {
  const prof = cpuProfDir ? ['--cpu-prof', '--cpu-prof-dir', cpuProfDir] : [];
  const p = fork(path.join(BENCH_DIR, file), args, {
    cwd: ROOT, execArgv: [...prof, '--import', 'tsx'], stdio: ['ignore', 'ignore', 'inherit', 'ipc'], env,
  });
  return track(p);
}

export function spawnTracked(cmd: string, args: string[], opts: { env?: NodeJS.ProcessEnv; stdin?: boolean } = {}): ChildProcess {
  const p = spawn(cmd, args, { cwd: ROOT, stdio: [opts.stdin ? 'pipe' : 'ignore', 'pipe', 'pipe'], env: opts.env ?? process.env });
  return track(p);
}

/** Waits for the first IPC message of a child that satisfies `pick`. */
export function waitMessage<T>(p: ChildProcess, what: string, pick: (m: unknown) => T | null, timeoutMs = 30_000): Promise<T> {
  return new Promise((resolve, reject) => {
    const onMsg = (m: unknown): void => {
      const v = pick(m);
      if (v !== null) {
        done();
        resolve(v);
      }
    };
    const onExit = (code: number | null, sig: string | null): void => {
      done();
      reject(new Error(`${what}: process exited (${code ?? sig}) before answering`));
    };
    const t = setTimeout(() => {
      done();
      reject(new Error(`${what}: no answer in ${timeoutMs} ms`));
    }, timeoutMs);
    const done = (): void => {
      clearTimeout(t);
      p.off('message', onMsg);
      p.off('exit', onExit);
    };
    p.on('message', onMsg);
    p.once('exit', onExit);
  });
}

export function waitExit(p: ChildProcess, timeoutMs: number): Promise<void> {
  if (p.exitCode !== null || p.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const t = setTimeout(() => {
      try { p.kill('SIGKILL'); } catch { /* gone */ }
      resolve();
    }, timeoutMs);
    p.once('exit', () => {
      clearTimeout(t);
      resolve();
    });
  });
}

/** A free loopback TCP port (bound then released), so subscribers can start before the hub is ready. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      const port = typeof a === 'object' && a ? a.port : 0;
      s.close(() => resolve(port));
    });
  });
}

// ------------------------------------------------------------------------------------------------
// /proc readings

/** utime + stime of a process (all threads), seconds; null when it is gone. */
export function cpuSeconds(pid: number): number | null {
  try {
    const s = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = s.slice(s.lastIndexOf(')') + 2).split(' ');
    // fields after "(comm) ": state=0, ... utime=11, stime=12 (stat fields 14 and 15)
    return (Number(f[11]) + Number(f[12])) / 100;
  } catch {
    return null;
  }
}

export function rssMb(pid: number): number | null {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) / 1024 : null;
  } catch {
    return null;
  }
}

/** Machine-wide busy and total jiffies (/proc/stat first line). */
export function machineJiffies(): { busy: number; total: number } {
  const line = fs.readFileSync('/proc/stat', 'utf8').split('\n')[0]!;
  const v = line.trim().split(/\s+/).slice(1).map(Number);
  const total = v.reduce((a, b) => a + b, 0);
  const idle = (v[3] ?? 0) + (v[4] ?? 0);
  return { busy: total - idle, total };
}
