'use client';
/**
 * Canaries: for each group's canary contract, how long ago each source last delivered it and how far it
 * is behind the newest state, colour-coded (with the word, never colour alone): fresh, late, stale, never.
 */
import { useLive } from '@/lib/store';
import { age, cn } from '@/lib/utils';
import { PageHeader } from '@/components/shell';
import { Card, CardContent } from '@/components/ui/card';
import { Table, TableBody, TableCell, TableHead, TableHeader, TableRow } from '@/components/ui/table';
import { HealthBadge } from '@/components/health';
import { Empty, Loading } from '@/components/states';

/** Age bands: fresh under 1 s, late under 3 s, stale beyond (in session a canary ticks every 0.5 s: outside one, every cell goes stale). */
function band(ageMs: number | null): { word: 'fresh' | 'late' | 'stale' | 'never'; cls: string } {
  if (ageMs === null) return { word: 'never', cls: 'bg-muted text-muted-foreground' };
  if (ageMs < 1000) return { word: 'fresh', cls: 'bg-ok/15 text-[oklch(0.42_0.13_150)]' };
  if (ageMs < 3000) return { word: 'late', cls: 'bg-warn/25 text-[oklch(0.45_0.12_65)]' };
  return { word: 'stale', cls: 'bg-bad/15 text-[oklch(0.48_0.2_27)]' };
}

export default function CanariesPage(): React.JSX.Element {
  const sources = useLive((s) => s.sources);
  if (!sources) return <Loading label="Waiting for the live feed" />;
  const canaries = sources[0]?.canaries ?? [];

  return (
    <div>
      <PageHeader title="Canaries" description="Each group's most active contract, watched on every source: time since each source last delivered it, and how far behind the newest state it is. Fresh < 1 s, late < 3 s, stale beyond." />
      <Card>
        <CardContent className="pt-4">
          {sources.length === 0 ? <Empty title="No sources run on this hub" /> : canaries.length === 0 ? (
            <Empty title="No canary resolved yet" hint="canaries resolve from the first ticks of their products; groups name them (npx mdhub group set NAME --canaries rb.SHFE)" />
          ) : (
            <Table aria-label="Canaries by source">
              <TableHeader>
                <TableRow>
                  <TableHead>Canary</TableHead>
                  {sources.map((s) => <TableHead key={s.id}><div>{s.id}</div><HealthBadge health={s.health} /></TableHead>)}
                </TableRow>
              </TableHeader>
              <TableBody>
                {canaries.map((c, i) => (
                  <TableRow key={`${c.group}:${c.product}`}>
                    <TableCell>
                      <div className="font-medium">{c.instrument ?? c.product}</div>
                      <div className="text-xs text-muted-foreground">{c.group} · {c.product}</div>
                    </TableCell>
                    {sources.map((s) => {
                      const k = s.canaries[i];
                      const b = band(k?.age_ms ?? null);
                      const label = `${s.id} on ${c.instrument ?? c.product}: ${b.word}${k?.age_ms !== null && k?.age_ms !== undefined ? `, ${age(k.age_ms)} ago` : ''}${k?.behind_ms ? `, ${Math.round(k.behind_ms)} ms behind` : ''}`;
                      return (
                        <TableCell key={s.id} aria-label={label}>
                          <div title={label} className={cn('inline-flex flex-col rounded-md px-2 py-1 text-xs', b.cls)}>
                            <span className="font-semibold">{b.word}</span>
                            <span>{k?.age_ms === null || k?.age_ms === undefined ? '–' : `${age(k.age_ms)} ago`}</span>
                            {k?.behind_ms ? <span>{Math.round(k.behind_ms)} ms behind</span> : null}
                          </div>
                        </TableCell>
                      );
                    })}
                  </TableRow>
                ))}
              </TableBody>
            </Table>
          )}
        </CardContent>
      </Card>
    </div>
  );
}
