'use client';
/** Overview: is the hub well, how much it publishes and how fast, each source, and what went wrong lately. */
import { useEffect, useState } from 'react';
import { api, describe } from '@/lib/api';
import { useLive } from '@/lib/store';
import type { Overview } from '@/lib/types';
import { age, duration, num, time } from '@/lib/utils';
import { PageHeader } from '@/components/shell';
import { Card, CardContent, CardDescription, CardHeader, CardTitle } from '@/components/ui/card';
import { Table, TableBody, TableCell, TableHead, TableHeader, TableRow } from '@/components/ui/table';
import { HealthBadge, HubStatusBadge, SeverityBadge, StateBadge } from '@/components/health';
import { Empty, ErrorState, Loading } from '@/components/states';
import { TimeChart } from '@/components/chart';

const ms = (us: number | null | undefined): string => (us === null || us === undefined ? '–' : `${(us / 1000).toFixed(us < 1000 ? 2 : 1)} ms`);

export default function OverviewPage(): React.JSX.Element {
  const live = useLive((s) => s.overview);
  const sources = useLive((s) => s.sources);
  const history = useLive((s) => s.hubHistory);
  const [first, setFirst] = useState<Overview | null>(null);
  const [error, setError] = useState<string | null>(null);

  const load = (): void => {
    setError(null);
    api<Overview>('GET', '/overview').then(setFirst, (e: unknown) => setError(describe(e)));
  };
  useEffect(load, []);

  const o = live ?? first;
  if (!o) return error ? <ErrorState message={error} onRetry={load} /> : <Loading label="Loading the overview" />;
  const bySource = new Map((sources ?? []).map((s) => [s.id, s]));

  return (
    <div className="flex flex-col gap-4">
      <PageHeader title="Overview" description={`mdhub ${o.version} · hub ${o.hub_id} · run ${o.run_id.slice(0, 8)}`} />
      {o.simulated ? (
        <p role="note" className="rounded-md border border-warn bg-warn/15 p-3 text-sm">
          <strong>This hub runs on simulated sources.</strong> Its ticks are generated (on a shifted market clock), not market data. Add CTP or SOPT gateways for real fronts.
        </p>
      ) : null}
      <section aria-label="Key figures" className="grid grid-cols-2 gap-3 lg:grid-cols-5">
        <Card><CardHeader><CardTitle>Status</CardTitle></CardHeader><CardContent><HubStatusBadge status={o.status} /></CardContent></Card>
        <Card><CardHeader><CardTitle>Up-time</CardTitle></CardHeader><CardContent className="text-2xl font-semibold">{duration(o.uptime_s)}</CardContent></Card>
        <Card><CardHeader><CardTitle>Published ticks/s</CardTitle></CardHeader><CardContent className="text-2xl font-semibold">{num(o.published_per_s)}</CardContent></Card>
        <Card>
          <CardHeader><CardTitle>Hub latency p50 / p99</CardTitle><CardDescription>gateway receive → publish, last minute</CardDescription></CardHeader>
          <CardContent className="text-2xl font-semibold">{o.latency.count > 0 ? `${ms(o.latency.p50_us)} / ${ms(o.latency.p99_us)}` : '–'}</CardContent>
        </Card>
        <Card>
          <CardHeader><CardTitle>Instruments</CardTitle><CardDescription>ok · stale · suspect</CardDescription></CardHeader>
          <CardContent className="text-2xl font-semibold">{num(o.instrument_states.ok)} · {num(o.instrument_states.stale)} · {num(o.instrument_states.suspect)}</CardContent>
        </Card>
      </section>

      {o.reasons.length > 0 ? (
        <Card>
          <CardHeader><CardTitle>Active problems</CardTitle><CardDescription>why the hub is not simply ok, now</CardDescription></CardHeader>
          <CardContent><ul aria-label="Active problems" className="list-disc pl-5 text-sm">{o.reasons.map((r) => <li key={r}>{r}</li>)}</ul></CardContent>
        </Card>
      ) : null}

      <div className="grid gap-3 lg:grid-cols-2">
        <Card>
          <CardHeader><CardTitle>Published ticks per second</CardTitle><CardDescription>since this page opened</CardDescription></CardHeader>
          <CardContent>
            {history.length < 2 ? <Empty title="Collecting" hint="a point a second" /> : (
              <TimeChart rows={history.map((p) => ({ t: p.t, published: p.published_per_s }))} series={[{ key: 'published', label: 'published' }]} unit="/s"
                description={`Published ticks per second, latest ${num(o.published_per_s)}`} />
            )}
          </CardContent>
        </Card>
        <Card>
          <CardHeader><CardTitle>Hub latency</CardTitle><CardDescription>gateway receive → publish, p50 and p99 of the last minute</CardDescription></CardHeader>
          <CardContent>
            {history.length < 2 ? <Empty title="Collecting" hint="a point a second" /> : (
              <TimeChart rows={history.map((p) => ({ t: p.t, p50: p.latency_p50_us === null ? null : p.latency_p50_us / 1000, p99: p.latency_p99_us === null ? null : p.latency_p99_us / 1000 }))}
                series={[{ key: 'p50', label: 'p50' }, { key: 'p99', label: 'p99' }]} unit="ms" description={`Hub latency p50 ${ms(o.latency.p50_us)}, p99 ${ms(o.latency.p99_us)}`} />
            )}
          </CardContent>
        </Card>
      </div>

      <Card>
        <CardHeader><CardTitle>Sources</CardTitle></CardHeader>
        <CardContent>
          {o.sources.length === 0 ? <Empty title="No gateway runs on this hub" hint="add one on the Gateways page or with npx mdhub gateway add" /> : (
            <Table aria-label="Sources">
              <TableHeader><TableRow><TableHead>Source</TableHead><TableHead>Connection</TableHead><TableHead>Health</TableHead><TableHead>Feeding</TableHead><TableHead>Ticks/s</TableHead><TableHead>Last tick</TableHead><TableHead>Restarts</TableHead></TableRow></TableHeader>
              <TableBody>
                {o.sources.map((s) => {
                  const l = bySource.get(s.id);
                  return (
                    <TableRow key={s.id}>
                      <TableCell className="font-medium">{s.id}</TableCell>
                      <TableCell><StateBadge state={s.state} /></TableCell>
                      <TableCell><HealthBadge health={s.health} /> <span className="text-xs text-muted-foreground">{s.health_reason}</span></TableCell>
                      <TableCell>{s.feeding ? 'yes' : 'no'}</TableCell>
                      <TableCell>{l ? num(l.ticks_per_s) : '–'}</TableCell>
                      <TableCell>{l ? age(l.data_age_ms) : '–'}</TableCell>
                      <TableCell>{s.restarts}</TableCell>
                    </TableRow>
                  );
                })}
              </TableBody>
            </Table>
          )}
        </CardContent>
      </Card>

      <Card>
        <CardHeader><CardTitle>Recent alerts</CardTitle><CardDescription>newest first (email delivery comes with the operations settings)</CardDescription></CardHeader>
        <CardContent>
          {o.alerts.length === 0 ? <Empty title="No alerts since the hub started" /> : (
            <ul aria-label="Recent alerts" className="flex flex-col gap-1.5 text-sm">
              {o.alerts.slice(0, 20).map((a, i) => (
                <li key={`${a.ts}-${i}`} className="flex items-start gap-2">
                  <SeverityBadge severity={a.severity} />
                  <span className="w-40 shrink-0 text-xs text-muted-foreground">{time(a.ts)}</span>
                  <span>{a.message}</span>
                </li>
              ))}
            </ul>
          )}
        </CardContent>
      </Card>
    </div>
  );
}
