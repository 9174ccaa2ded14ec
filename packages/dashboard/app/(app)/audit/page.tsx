'use client';
/** The audit log: who did what, when, from which hub; newest first. */
import { useCallback, useEffect, useState } from 'react';
import { api, describe } from '@/lib/api';
import { time } from '@/lib/utils';
import { PageHeader } from '@/components/shell';
import { Button } from '@/components/ui/button';
import { Input } from '@/components/ui/input';
import { Label } from '@/components/ui/label';
import { Card, CardContent } from '@/components/ui/card';
import { Table, TableBody, TableCell, TableHead, TableHeader, TableRow } from '@/components/ui/table';
import { Empty, ErrorState, Loading } from '@/components/states';

interface AuditRecord {
  ts: number;
  actor: string;
  action: string;
  target: string;
  details: Record<string, unknown>;
  hub_id: string | null;
}

export default function AuditPage(): React.JSX.Element {
  const [records, setRecords] = useState<AuditRecord[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [filter, setFilter] = useState('');

  const load = useCallback((): void => {
    api<{ audit: AuditRecord[] }>('GET', '/audit?limit=1000').then((r) => {
      setRecords(r.audit);
      setError(null);
    }, (e: unknown) => setError(describe(e)));
  }, []);
  useEffect(load, [load]);

  const f = filter.trim().toLowerCase();
  const shown = (records ?? []).filter((r) => f === '' || `${r.actor} ${r.action} ${r.target} ${JSON.stringify(r.details)}`.toLowerCase().includes(f));

  return (
    <div>
      <PageHeader title="Audit log" description="Every change and admin action, from the dashboard, the API and the CLI: who, what and when (the last 1,000).">
        <div className="flex flex-col gap-1.5">
          <Label htmlFor="audit-filter">Filter audit log</Label>
          <Input id="audit-filter" className="w-64" placeholder="user, action, target…" value={filter} onChange={(e) => setFilter(e.target.value)} />
        </div>
        <Button variant="outline" onClick={load}>Refresh</Button>
      </PageHeader>
      {error ? <div className="mb-3"><ErrorState message={error} onRetry={load} /></div> : null}
      <Card>
        <CardContent className="pt-4">
          {!records ? <Loading label="Loading the audit log" /> : shown.length === 0 ? <Empty title={f ? 'Nothing matches the filter' : 'Nothing recorded yet'} /> : (
            <Table aria-label="Audit log">
              <TableHeader><TableRow><TableHead>When</TableHead><TableHead>Who</TableHead><TableHead>Action</TableHead><TableHead>Target</TableHead><TableHead>Hub</TableHead><TableHead>Details</TableHead></TableRow></TableHeader>
              <TableBody>
                {shown.map((r, i) => (
                  <TableRow key={`${r.ts}-${i}`}>
                    <TableCell className="whitespace-nowrap font-mono text-xs">{time(r.ts)}</TableCell>
                    <TableCell>{r.actor}</TableCell>
                    <TableCell className="font-medium">{r.action}</TableCell>
                    <TableCell>{r.target}</TableCell>
                    <TableCell className="text-xs">{r.hub_id ?? '–'}</TableCell>
                    <TableCell className="max-w-96 truncate font-mono text-xs" title={JSON.stringify(r.details)}>{Object.keys(r.details).length > 0 ? JSON.stringify(r.details) : ''}</TableCell>
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
