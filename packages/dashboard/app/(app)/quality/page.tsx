'use client';
/**
 * Source quality: per source, lag behind the race winner, win share, clock health (its receive clock
 * against the exchange's stamp) and cleansing rejections, now and as charts over the last minutes.
 */
import { useLive } from '@/lib/store';
import type { SourcePoint } from '@/lib/store';
import type { SourceLive } from '@/lib/types';
import { num } from '@/lib/utils';
import { PageHeader } from '@/components/shell';
import { Card, CardContent, CardDescription, CardHeader, CardTitle } from '@/components/ui/card';
import { Table, TableBody, TableCell, TableHead, TableHeader, TableRow } from '@/components/ui/table';
import { HealthBadge } from '@/components/health';
import { Empty, Loading } from '@/components/states';
import { TimeChart } from '@/components/chart';

const msText = (v: number | null | undefined): string => (v === null || v === undefined ? '–' : v === Infinity ? '> 10 s' : `${num(v, v < 10 ? 1 : 0)} ms`);

/** Rows for a chart: one per second, a column per source. */
function rows(history: Record<string, SourcePoint[]>, ids: string[], pick: (p: SourcePoint) => number | null): Array<Record<string, number | null>> {
  const byT = new Map<number, Record<string, number | null>>();
  for (const id of ids) {
    for (const p of history[id] ?? []) {
      const t = Math.round(p.t / 1000) * 1000;
      let r = byT.get(t);
      if (!r) byT.set(t, (r = { t }));
      const v = pick(p);
      r[id] = v === null || !Number.isFinite(v) ? null : v;
    }
  }
  return [...byT.values()].sort((a, b) => a['t']! - b['t']!);
}

export default function QualityPage(): React.JSX.Element {
  const sources = useLive((s) => s.sources);
  const history = useLive((s) => s.history);
  if (!sources) return <Loading label="Waiting for the live feed" />;
  const ids = sources.map((s) => s.id);
  const series = ids.map((id) => ({ key: id, label: id }));
  const points = Math.max(0, ...ids.map((id) => history[id]?.length ?? 0));
  const latest = (pick: (s: SourceLive) => string): string => sources.map((s) => `${s.id} ${pick(s)}`).join(', ');

  return (
    <div className="flex flex-col gap-4">
      <PageHeader title="Source quality" description="The last minute's figures per source, and their history since this page opened. Percentiles are histogram bucket bounds." />
      <Card>
        <CardContent className="pt-4">
          {sources.length === 0 ? <Empty title="No sources run on this hub" /> : (
            <Table aria-label="Source quality">
              <TableHeader>
                <TableRow>
                  <TableHead>Source</TableHead><TableHead>Health</TableHead><TableHead>Ticks/s</TableHead><TableHead>Behind on canaries</TableHead>
                  <TableHead>Lag behind winner p50 / p99</TableHead><TableHead>Win share</TableHead><TableHead>Clock offset p50 / p99</TableHead><TableHead>Rejected</TableHead>
                </TableRow>
              </TableHeader>
              <TableBody>
                {sources.map((s) => (
                  <TableRow key={s.id} aria-label={`quality ${s.id}`}>
                    <TableCell className="font-medium">{s.id}</TableCell>
                    <TableCell><HealthBadge health={s.health} /></TableCell>
                    <TableCell>{num(s.ticks_per_s)}</TableCell>
                    <TableCell>{msText(s.behind_ms)}</TableCell>
                    <TableCell>{msText(s.quality?.lag_p50_ms)} / {msText(s.quality?.lag_p99_ms)}</TableCell>
                    <TableCell>{s.quality ? `${num(s.quality.win_share * 100, 1)} %` : '–'}</TableCell>
                    <TableCell>{msText(s.quality?.clock_offset_p50_ms)} / {msText(s.quality?.clock_offset_p99_ms)}</TableCell>
                    <TableCell>{num(s.rejected)}</TableCell>
                  </TableRow>
                ))}
              </TableBody>
            </Table>
          )}
        </CardContent>
      </Card>
      {points < 2 ? <Empty title="Charts are collecting" hint="a point a second while this page (or any other) is open" /> : (
        <div className="grid gap-3 xl:grid-cols-2">
          <Card>
            <CardHeader><CardTitle>Lag behind the winner, p99</CardTitle><CardDescription>ms, last minute at each point</CardDescription></CardHeader>
            <CardContent><TimeChart rows={rows(history, ids, (p) => p.lag_p99_ms)} series={series} unit="ms" description={`Lag behind the winner p99: ${latest((s) => msText(s.quality?.lag_p99_ms))}`} /></CardContent>
          </Card>
          <Card>
            <CardHeader><CardTitle>Win share</CardTitle><CardDescription>% of races won, last minute at each point</CardDescription></CardHeader>
            <CardContent><TimeChart rows={rows(history, ids, (p) => (p.win_share === null ? null : p.win_share * 100))} series={series} unit="%" domain={[0, 100]} description={`Win share: ${latest((s) => (s.quality ? `${Math.round(s.quality.win_share * 100)} %` : '–'))}`} /></CardContent>
          </Card>
          <Card>
            <CardHeader><CardTitle>Clock offset, p50</CardTitle><CardDescription>the source&apos;s receive time minus the exchange&apos;s stamp, ms</CardDescription></CardHeader>
            <CardContent><TimeChart rows={rows(history, ids, (p) => p.offset_p50_ms)} series={series} unit="ms" description={`Clock offset p50: ${latest((s) => msText(s.quality?.clock_offset_p50_ms))}`} /></CardContent>
          </Card>
          <Card>
            <CardHeader><CardTitle>Rejections per second</CardTitle><CardDescription>copies cleansing refused</CardDescription></CardHeader>
            <CardContent><TimeChart rows={rows(history, ids, (p) => p.rejected_per_s)} series={series} unit="/s" description={`Rejected in this run: ${latest((s) => num(s.rejected))}`} /></CardContent>
          </Card>
          <Card className="xl:col-span-2">
            <CardHeader><CardTitle>Behind on canaries</CardTitle><CardDescription>ms behind the newest canary state any source delivered (health takes a source out beyond its limit)</CardDescription></CardHeader>
            <CardContent><TimeChart rows={rows(history, ids, (p) => p.behind_ms)} series={series} unit="ms" description={`Behind on canaries: ${latest((s) => msText(s.behind_ms))}`} /></CardContent>
          </Card>
        </div>
      )}
    </div>
  );
}
