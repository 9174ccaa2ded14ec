'use client';
/**
 * Gateways: each instance's connection state and reason, health, last tick age, restarts and breaker,
 * live; start, stop and hard-restart it (with a confirmation), enable or disable it on every hub.
 */
import { useCallback, useEffect, useState } from 'react';
import { Play, RotateCw, Square } from 'lucide-react';
import { api, describe } from '@/lib/api';
import { useLive } from '@/lib/store';
import type { SourceLive } from '@/lib/types';
import { age, num } from '@/lib/utils';
import { PageHeader } from '@/components/shell';
import { Button } from '@/components/ui/button';
import { Confirm } from '@/components/ui/dialog';
import { Switch } from '@/components/ui/switch';
import { Card, CardContent } from '@/components/ui/card';
import { Table, TableBody, TableCell, TableHead, TableHeader, TableRow } from '@/components/ui/table';
import { BreakerBadge, HealthBadge, StateBadge } from '@/components/health';
import { Empty, ErrorState, Loading } from '@/components/states';

interface Gateway {
  id: string;
  plugin: string;
  enabled: boolean;
  account_id: string | null;
  hub_id: string | null;
  groups: Array<{ group: string; priority: number }>;
  runtime: (Omit<SourceLive, 'ticks_per_s' | 'behind_ms' | 'data_age_ms' | 'quality' | 'canaries' | 'received' | 'rejected'>) | null;
}

type Op = 'start' | 'stop' | 'restart' | 'enable' | 'disable';
const OP_TEXT: Record<Op, { title: string; action: string; what: string }> = {
  start: { title: 'Start', action: 'Start', what: 'starts its process on this hub' },
  stop: { title: 'Stop', action: 'Stop', what: 'stops its process on this hub until someone starts it (no failover restarts)' },
  restart: { title: 'Restart', action: 'Restart', what: 'kills its process and starts a new one (a hard restart); its group fails over meanwhile' },
  enable: { title: 'Enable', action: 'Enable', what: 'enables it on every hub sharing the database' },
  disable: { title: 'Disable', action: 'Disable', what: 'disables it on every hub sharing the database: its processes stop' },
};

export default function GatewaysPage(): React.JSX.Element {
  const [gateways, setGateways] = useState<Gateway[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [pending, setPending] = useState<{ id: string; op: Op } | null>(null);
  const [busy, setBusy] = useState<string | null>(null);
  const [result, setResult] = useState<{ ok: boolean; text: string } | null>(null);
  const live = useLive((s) => s.sources);

  const load = useCallback((): void => {
    api<{ gateways: Gateway[] }>('GET', '/gateways').then((r) => {
      setGateways(r.gateways);
      setError(null);
    }, (e: unknown) => setError(describe(e)));
  }, []);
  useEffect(() => {
    load();
    const t = setInterval(load, 5000); // configuration changes made elsewhere (CLI, another admin)
    return () => clearInterval(t);
  }, [load]);

  const run = async (id: string, op: Op): Promise<void> => {
    setBusy(`${op}:${id}`);
    setResult(null);
    try {
      await api('POST', `/gateways/${encodeURIComponent(id)}/${op}`);
      setResult({ ok: true, text: `${OP_TEXT[op].title} ${id}: done` });
      load();
    } catch (e) {
      setResult({ ok: false, text: `${OP_TEXT[op].title} ${id} failed: ${describe(e)}` });
    } finally {
      setBusy(null);
    }
  };

  if (!gateways) return error ? <ErrorState message={error} onRetry={load} /> : <Loading label="Loading gateways" />;
  const liveById = new Map((live ?? []).map((s) => [s.id, s]));

  return (
    <div>
      <PageHeader title="Gateways" description="Market-data source processes: their connection, health and restarts, live. Add or change instances with npx mdhub gateway add / set, or the API." />
      {error ? <div className="mb-3"><ErrorState message={error} onRetry={load} /></div> : null}
      {result ? <p role="status" className={result.ok ? 'mb-3 text-sm text-ok' : 'mb-3 text-sm text-bad'}>{result.text}</p> : null}
      <Card>
        <CardContent className="pt-4">
          {gateways.length === 0 ? <Empty title="No gateway instances" hint="npx mdhub gateway add --name ID --plugin @mdhub/gateway-sim" /> : (
            <Table aria-label="Gateways">
              <TableHeader>
                <TableRow>
                  <TableHead>Gateway</TableHead><TableHead>Enabled</TableHead><TableHead>Connection</TableHead><TableHead>Health</TableHead>
                  <TableHead>Last tick</TableHead><TableHead>Ticks/s</TableHead><TableHead>Restarts</TableHead><TableHead>Breaker</TableHead><TableHead>PID</TableHead><TableHead>Actions</TableHead>
                </TableRow>
              </TableHeader>
              <TableBody>
                {gateways.map((g) => {
                  const l = liveById.get(g.id);
                  const rt = l ?? g.runtime;
                  return (
                    <TableRow key={g.id} aria-label={`gateway ${g.id}`}>
                      <TableCell>
                        <div className="font-medium">{g.id}</div>
                        <div className="text-xs text-muted-foreground">{g.plugin}{g.groups.length > 0 ? ` · ${g.groups.map((x) => `${x.group} #${x.priority}`).join(', ')}` : ''}{g.account_id ? ` · account ${g.account_id}` : ''}</div>
                      </TableCell>
                      <TableCell>
                        <Switch checked={g.enabled} aria-label={`Enabled ${g.id}`} disabled={busy !== null} onCheckedChange={(v) => setPending({ id: g.id, op: v ? 'enable' : 'disable' })} />
                      </TableCell>
                      <TableCell>
                        {rt ? <StateBadge state={rt.state} /> : <span className="text-xs text-muted-foreground">not on this hub</span>}
                        {rt?.reason ? <div className="max-w-56 truncate text-xs text-muted-foreground" title={rt.reason}>{rt.reason}</div> : null}
                      </TableCell>
                      <TableCell>
                        {rt ? <HealthBadge health={rt.health} /> : '–'}
                        {rt?.health_reason ? <div className="max-w-64 truncate text-xs text-muted-foreground" title={rt.health_reason}>{rt.health_reason}</div> : null}
                      </TableCell>
                      <TableCell>{l ? age(l.data_age_ms) : '–'}</TableCell>
                      <TableCell>{l ? num(l.ticks_per_s) : '–'}</TableCell>
                      <TableCell>{rt ? rt.restarts : '–'}</TableCell>
                      <TableCell>{rt ? <BreakerBadge breaker={rt.breaker} /> : '–'}</TableCell>
                      <TableCell className="font-mono text-xs">{rt?.pid ?? '–'}</TableCell>
                      <TableCell>
                        <div className="flex gap-1">
                          <Button size="sm" variant="outline" aria-label={`Start ${g.id}`} disabled={busy !== null || !g.enabled} onClick={() => setPending({ id: g.id, op: 'start' })}><Play aria-hidden />Start</Button>
                          <Button size="sm" variant="outline" aria-label={`Stop ${g.id}`} disabled={busy !== null || !g.enabled} onClick={() => setPending({ id: g.id, op: 'stop' })}><Square aria-hidden />Stop</Button>
                          <Button size="sm" variant="outline" aria-label={`Restart ${g.id}`} disabled={busy !== null || !g.enabled} onClick={() => setPending({ id: g.id, op: 'restart' })}><RotateCw aria-hidden />Restart</Button>
                        </div>
                      </TableCell>
                    </TableRow>
                  );
                })}
              </TableBody>
            </Table>
          )}
        </CardContent>
      </Card>
      <Confirm
        open={pending !== null}
        onOpenChange={(o) => { if (!o) setPending(null); }}
        title={pending ? `${OP_TEXT[pending.op].title} ${pending.id}?` : ''}
        description={pending ? `This ${OP_TEXT[pending.op].what}.` : ''}
        action={pending ? OP_TEXT[pending.op].action : ''}
        destructive={pending?.op === 'stop' || pending?.op === 'restart' || pending?.op === 'disable'}
        onConfirm={() => { if (pending) void run(pending.id, pending.op); setPending(null); }}
      />
    </div>
  );
}
