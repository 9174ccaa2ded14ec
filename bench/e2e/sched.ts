/**
 * Who waited for a CPU: the kernel's per-thread scheduler figures (/proc/<pid>/task/<tid>/schedstat: time
 * on a CPU, time runnable on a run queue but not running, in ns) read at a window's start and end.
 * `wait` is time a thread had work and no core: on a machine with fewer cores than busy threads, a burst
 * queues there as well as in the sockets. Linux only; where the files cannot be read, a role is left out.
 */
import fs from 'node:fs';

interface ThreadTimes {
  comm: string;
  runNs: number;
  waitNs: number;
}

/** Every thread of each pid: tid → times. */
export type SchedSnapshot = Map<number, Map<number, ThreadTimes>>;

function readThreads(pid: number): Map<number, ThreadTimes> | null {
  let tids: string[];
  try {
    tids = fs.readdirSync(`/proc/${pid}/task`);
  } catch {
    return null;
  }
  const out = new Map<number, ThreadTimes>();
  for (const tid of tids) {
    try {
      const [run, wait] = fs.readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').trim().split(/\s+/).map(Number);
      const comm = fs.readFileSync(`/proc/${pid}/task/${tid}/comm`, 'utf8').trim();
      if (Number.isFinite(run) && Number.isFinite(wait)) out.set(Number(tid), { comm, runNs: run!, waitNs: wait! });
    } catch { /* the thread ended */ }
  }
  return out;
}

export function schedSnapshot(pids: number[]): SchedSnapshot {
  const snap: SchedSnapshot = new Map();
  for (const pid of pids) {
    const t = readThreads(pid);
    if (t) snap.set(pid, t);
  }
  return snap;
}

export interface SchedFigures {
  /** ms on a CPU per second of the window (1000 = one core all the time). */
  run_ms_per_s: number;
  /** ms runnable but waiting for a CPU per second of the window. */
  wait_ms_per_s: number;
  /** wait / (run + wait): the share of its wanting-to-run time a role spent without a core. */
  wait_share: number;
}

const figures = (runNs: number, waitNs: number, seconds: number): SchedFigures => ({
  run_ms_per_s: Math.round(runNs / 1e6 / seconds * 10) / 10,
  wait_ms_per_s: Math.round(waitNs / 1e6 / seconds * 10) / 10,
  wait_share: runNs + waitNs > 0 ? Math.round(waitNs / (runNs + waitNs) * 1000) / 1000 : 0,
});

/** Threads present at both ends, their deltas. */
function deltas(a: SchedSnapshot, b: SchedSnapshot, pid: number): Array<{ tid: number; comm: string; runNs: number; waitNs: number }> {
  const x = a.get(pid);
  const y = b.get(pid);
  if (!x || !y) return [];
  const out: Array<{ tid: number; comm: string; runNs: number; waitNs: number }> = [];
  for (const [tid, t1] of y) {
    const t0 = x.get(tid);
    if (t0) out.push({ tid, comm: t1.comm, runNs: t1.runNs - t0.runNs, waitNs: t1.waitNs - t0.waitNs });
  }
  return out;
}

/**
 * Per role, every thread of its processes summed; for `hub`, also its data-plane thread (the busiest
 * thread other than the main one and libzmq's: the hub's worker; Node names every thread "node") and
 * libzmq's I/O thread.
 */
export function schedReport(a: SchedSnapshot, b: SchedSnapshot, seconds: number, roles: Record<string, number[]>, hubPid: number): Record<string, SchedFigures> {
  const out: Record<string, SchedFigures> = {};
  for (const [role, pids] of Object.entries(roles)) {
    let run = 0;
    let wait = 0;
    let seen = false;
    for (const pid of pids) {
      const d = deltas(a, b, pid);
      if (d.length > 0) seen = true;
      for (const t of d) {
        run += t.runNs;
        wait += t.waitNs;
      }
    }
    if (seen) out[role] = figures(run, wait, seconds);
  }
  const hub = deltas(a, b, hubPid);
  const worker = hub.filter((t) => t.tid !== hubPid && t.comm === 'node').sort((x, y) => y.runNs - x.runNs)[0];
  if (worker) out['hub_dataplane_thread'] = figures(worker.runNs, worker.waitNs, seconds);
  const io = hub.filter((t) => t.comm.startsWith('ZMQbg/IO'));
  if (io.length > 0) out['hub_zmq_io_thread'] = figures(io.reduce((s, t) => s + t.runNs, 0), io.reduce((s, t) => s + t.waitNs, 0), seconds);
  return out;
}
