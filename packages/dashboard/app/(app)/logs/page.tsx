'use client';
/**
 * The live log: the hub's recent records (up to 20,000 from its memory) then every new one as it happens,
 * filtered by level and text, paused or following the newest. Only the visible lines are in the page
 * (virtualised), so tens of thousands of lines scroll smoothly.
 */
import { useEffect, useMemo, useRef, useState } from 'react';
import { useVirtualizer } from '@tanstack/react-virtual';
import { Pause, Play } from 'lucide-react';
import { api, describe } from '@/lib/api';
import { useLive } from '@/lib/store';
import type { LogRecord } from '@/lib/types';
import { cn, num, time } from '@/lib/utils';
import { PageHeader } from '@/components/shell';
import { Button } from '@/components/ui/button';
import { Input, Select } from '@/components/ui/input';
import { Label } from '@/components/ui/label';
import { Card, CardContent } from '@/components/ui/card';
import { Empty, ErrorState, Loading } from '@/components/states';

const RANK: Record<string, number> = { debug: 0, info: 1, warn: 2, error: 3 };
const LEVEL_CLS: Record<string, string> = { debug: 'text-muted-foreground', info: 'text-sky-700', warn: 'text-[oklch(0.5_0.13_65)]', error: 'text-bad font-semibold' };
const ROW = 22;

const line = (r: LogRecord): string => `${r.area ? `[${r.area}] ` : ''}${r.msg}${r.code ? ` ${r.code}` : ''}${r.details && Object.keys(r.details).length > 0 ? ` ${JSON.stringify(r.details)}` : ''}`;

export default function LogsPage(): React.JSX.Element {
  const logs = useLive((s) => s.logs);
  const version = useLive((s) => s.logsVersion);
  const [seeded, setSeeded] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [level, setLevel] = useState('info');
  const [text, setText] = useState('');
  const [paused, setPaused] = useState(false);
  const [follow, setFollow] = useState(true);
  // While paused, the view keeps the lines it had.
  const frozen = useRef<LogRecord[] | null>(null);

  const seed = (): void => {
    setError(null);
    api<{ logs: LogRecord[] }>('GET', '/logs?level=debug&limit=20000').then((r) => {
      useLive.getState().seedLogs(r.logs);
      setSeeded(true);
    }, (e: unknown) => setError(describe(e)));
  };
  useEffect(seed, []);

  const source = paused ? (frozen.current ??= logs.slice()) : logs;
  if (!paused) frozen.current = null;
  const min = RANK[level] ?? 1;
  const needle = text.trim().toLowerCase();
  // eslint-disable-next-line react-hooks/exhaustive-deps
  const shown = useMemo(() => source.filter((r) => (RANK[r.level] ?? 1) >= min && (needle === '' || line(r).toLowerCase().includes(needle))), [source, version, min, needle, paused]);

  const parent = useRef<HTMLDivElement>(null);
  const virtual = useVirtualizer({ count: shown.length, getScrollElement: () => parent.current, estimateSize: () => ROW, overscan: 20 });
  useEffect(() => {
    if (follow && !paused && shown.length > 0) virtual.scrollToIndex(shown.length - 1, { align: 'end' });
  }, [shown.length, follow, paused, virtual]);

  return (
    <div className="flex h-[calc(100vh-6rem)] flex-col">
      <PageHeader title="Live log" description="The hub's log as it happens (the browser keeps the last 50,000 lines).">
        <div className="flex flex-col gap-1.5">
          <Label htmlFor="log-level">Level</Label>
          <Select id="log-level" value={level} onChange={(e) => setLevel(e.target.value)}>
            <option value="debug">debug and above</option>
            <option value="info">info and above</option>
            <option value="warn">warn and above</option>
            <option value="error">errors only</option>
          </Select>
        </div>
        <div className="flex flex-col gap-1.5">
          <Label htmlFor="log-text">Filter text</Label>
          <Input id="log-text" className="w-64" placeholder="gateway, code, words…" value={text} onChange={(e) => setText(e.target.value)} />
        </div>
        <Button variant="outline" onClick={() => setPaused(!paused)} aria-pressed={paused}>{paused ? <><Play aria-hidden />Resume</> : <><Pause aria-hidden />Pause</>}</Button>
        <label className="flex h-9 items-center gap-2 text-sm"><input type="checkbox" checked={follow} onChange={(e) => setFollow(e.target.checked)} />Follow newest</label>
      </PageHeader>
      {error ? <div className="mb-3"><ErrorState message={error} onRetry={seed} /></div> : null}
      <p className="mb-1 text-xs text-muted-foreground" role="status" aria-live="off">{num(shown.length)} of {num(source.length)} lines{paused ? ' · paused' : ''}</p>
      <Card className="min-h-0 flex-1">
        <CardContent className="h-full p-0">
          {!seeded && logs.length === 0 ? <div className="p-4"><Loading label="Loading the log" /></div> : shown.length === 0 ? <div className="p-4"><Empty title="No line matches" hint="lower the level or change the text" /></div> : (
            <div ref={parent} role="log" aria-label="Log lines" className="h-full overflow-auto font-mono text-xs">
              <div style={{ height: virtual.getTotalSize(), position: 'relative' }}>
                {virtual.getVirtualItems().map((v) => {
                  const r = shown[v.index]!;
                  return (
                    <div key={v.key} data-level={r.level} className={cn('absolute left-0 right-0 flex gap-3 whitespace-nowrap px-3 hover:bg-muted', v.index % 2 ? 'bg-muted/30' : '')} style={{ top: v.start, height: ROW, lineHeight: `${ROW}px` }}>
                      <span className="shrink-0 text-muted-foreground">{time(r.ts, true)}</span>
                      <span className={cn('w-12 shrink-0 uppercase', LEVEL_CLS[r.level])}>{r.level}</span>
                      <span className="truncate" title={line(r)}>{line(r)}</span>
                    </div>
                  );
                })}
              </div>
            </div>
          )}
        </CardContent>
      </Card>
    </div>
  );
}
