'use client';
/** Instruments: search by symbol; each one's last published state, its data state and the source that won it. */
import { useEffect, useState } from 'react';
import { api, describe } from '@/lib/api';
import { num } from '@/lib/utils';
import { PageHeader } from '@/components/shell';
import { Badge } from '@/components/ui/badge';
import { Button } from '@/components/ui/button';
import { Input } from '@/components/ui/input';
import { Label } from '@/components/ui/label';
import { Card, CardContent } from '@/components/ui/card';
import { Table, TableBody, TableCell, TableHead, TableHeader, TableRow } from '@/components/ui/table';
import { Empty, ErrorState, Loading } from '@/components/states';

interface Instrument {
  vt_symbol: string;
  group: string;
  state: 'ok' | 'stale' | 'suspect';
  iseq: number;
  datetime: number | null;
  trading_day?: string;
  last_price?: number;
  volume?: number;
  open_interest?: number;
  bid_price_1?: number;
  bid_volume_1?: number;
  ask_price_1?: number;
  ask_volume_1?: number;
  source: string | null;
}

/** Exchange time is Shanghai's. */
const marketTime = (ms: number | null): string => (ms === null ? '–' : new Date(ms).toLocaleTimeString('en-GB', { timeZone: 'Asia/Shanghai', hour12: false, fractionalSecondDigits: 3 } as Intl.DateTimeFormatOptions));

export default function InstrumentsPage(): React.JSX.Element {
  const [search, setSearch] = useState('');
  const [query, setQuery] = useState('');
  const [data, setData] = useState<{ total: number; instruments: Instrument[] } | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [auto, setAuto] = useState(true);

  useEffect(() => {
    let cancelled = false;
    const load = (): void => {
      api<{ total: number; instruments: Instrument[] }>('GET', `/instruments?search=${encodeURIComponent(query)}&limit=200`).then((r) => {
        if (!cancelled) {
          setData(r);
          setError(null);
        }
      }, (e: unknown) => { if (!cancelled) setError(describe(e)); });
    };
    load();
    const t = auto ? setInterval(load, 2000) : undefined;
    return () => {
      cancelled = true;
      if (t) clearInterval(t);
    };
  }, [query, auto]);

  return (
    <div>
      <PageHeader title="Instruments" description="The last state the hub published for each instrument, its data state (ok, stale: no healthy source in session, suspect: cleansing keeps rejecting it) and the source that won it." />
      <form className="mb-3 flex flex-wrap items-end gap-2" role="search" onSubmit={(e) => { e.preventDefault(); setQuery(search.trim()); }}>
        <div className="flex flex-col gap-1.5">
          <Label htmlFor="instrument-search">Search instruments</Label>
          <Input id="instrument-search" className="w-64" placeholder="rb2701, SHFE, IF…" value={search} onChange={(e) => setSearch(e.target.value)} />
        </div>
        <Button type="submit">Search</Button>
        <label className="ml-2 flex items-center gap-2 text-sm"><input type="checkbox" checked={auto} onChange={(e) => setAuto(e.target.checked)} />Refresh every 2 s</label>
      </form>
      {error ? <div className="mb-3"><ErrorState message={error} /></div> : null}
      <Card>
        <CardContent className="pt-4">
          {!data ? <Loading label="Loading instruments" /> : data.instruments.length === 0 ? (
            <Empty title={query ? `No instrument matches “${query}”` : 'No instrument has ticked yet'} />
          ) : (
            <>
              <p className="mb-2 text-xs text-muted-foreground" role="status">{data.total > data.instruments.length ? `showing ${data.instruments.length} of ${num(data.total)}` : `${num(data.total)} instruments`}</p>
              <Table aria-label="Instruments">
                <TableHeader>
                  <TableRow>
                    <TableHead>Instrument</TableHead><TableHead>State</TableHead><TableHead>Exchange time</TableHead><TableHead>Last</TableHead><TableHead>Bid</TableHead><TableHead>Ask</TableHead>
                    <TableHead>Volume</TableHead><TableHead>Open interest</TableHead><TableHead>Won by</TableHead><TableHead>iseq</TableHead>
                  </TableRow>
                </TableHeader>
                <TableBody>
                  {data.instruments.map((i) => (
                    <TableRow key={i.vt_symbol}>
                      <TableCell><div className="font-medium">{i.vt_symbol}</div><div className="text-xs text-muted-foreground">{i.group}{i.trading_day ? ` · ${i.trading_day}` : ''}</div></TableCell>
                      <TableCell><Badge tone={i.state === 'ok' ? 'ok' : i.state === 'stale' ? 'bad' : 'warn'}>{i.state}</Badge></TableCell>
                      <TableCell className="font-mono text-xs">{marketTime(i.datetime)}</TableCell>
                      <TableCell className="font-mono">{i.last_price ?? '–'}</TableCell>
                      <TableCell className="font-mono text-xs">{i.bid_price_1 ?? '–'} × {i.bid_volume_1 ?? '–'}</TableCell>
                      <TableCell className="font-mono text-xs">{i.ask_price_1 ?? '–'} × {i.ask_volume_1 ?? '–'}</TableCell>
                      <TableCell className="font-mono">{num(i.volume)}</TableCell>
                      <TableCell className="font-mono">{num(i.open_interest)}</TableCell>
                      <TableCell>{i.source ?? '–'}</TableCell>
                      <TableCell className="font-mono text-xs">{i.iseq}</TableCell>
                    </TableRow>
                  ))}
                </TableBody>
              </Table>
            </>
          )}
        </CardContent>
      </Card>
    </div>
  );
}
