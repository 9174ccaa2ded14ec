/** Summary of a V8 .cpuprofile (node --cpu-prof): top functions by self time. */
import fs from 'node:fs';

interface CpuNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
}

interface CpuProfile {
  nodes: CpuNode[];
  startTime: number;
  endTime: number;
  samples?: number[];
  timeDeltas?: number[];
}

export interface ProfileSummary {
  file: string;
  total_ms: number;
  busy_ms: number;
  top: Array<{ fn: string; self_ms: number; pct_of_busy: number }>;
}

export function summarizeProfile(file: string, topN = 15): ProfileSummary {
  const p = JSON.parse(fs.readFileSync(file, 'utf8')) as CpuProfile;
  const byId = new Map<number, CpuNode>();
  for (const n of p.nodes) byId.set(n.id, n);
  const self = new Map<number, number>();
  const samples = p.samples ?? [];
  const deltas = p.timeDeltas ?? [];
  for (let i = 0; i < samples.length; i++) {
    // the delta after a sample is the time spent in it
    const d = (deltas[i + 1] ?? 0) / 1000;
    self.set(samples[i]!, (self.get(samples[i]!) ?? 0) + d);
  }
  const agg = new Map<string, number>();
  let total = 0;
  let idle = 0;
  for (const [id, ms] of self) {
    const n = byId.get(id);
    if (!n) continue;
    total += ms;
    const name = n.callFrame.functionName || '(anonymous)';
    if (name === '(idle)') idle += ms;
    const url = n.callFrame.url.replace(/^file:\/\//, '').replace(/^.*\/node_modules\//, 'node_modules/').replace(/^.*\/packages\//, 'packages/');
    const key = url ? `${name} ${url}:${n.callFrame.lineNumber + 1}` : name;
    agg.set(key, (agg.get(key) ?? 0) + ms);
  }
  const busy = total - idle;
  const top = [...agg.entries()].filter(([k]) => !k.startsWith('(idle)')).sort((a, b) => b[1] - a[1]).slice(0, topN)
    .map(([fn, ms]) => ({ fn, self_ms: Math.round(ms), pct_of_busy: Math.round((ms / busy) * 1000) / 10 }));
  return { file, total_ms: Math.round(total), busy_ms: Math.round(busy), top };
}
