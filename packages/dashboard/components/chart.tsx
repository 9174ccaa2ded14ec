'use client';
/**
 * A time-series line chart (recharts) of the live history: one line per series, time on the x axis.
 * It carries a text description for screen readers, since a chart alone says nothing to them.
 */
import { CartesianGrid, Legend, Line, LineChart, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';

const COLOURS = ['#2563eb', '#16a34a', '#dc2626', '#9333ea', '#ea580c', '#0891b2', '#4d7c0f', '#be185d'];

export interface Series {
  key: string;
  label: string;
}

const clock = (t: number): string => new Date(t).toLocaleTimeString('en-GB', { hour12: false });

export function TimeChart({ rows, series, unit, description, height = 180, domain }: {
  rows: Array<Record<string, number | null>>;
  series: Series[];
  unit: string;
  /** What the chart shows and its latest values, read out instead of the picture. */
  description: string;
  height?: number;
  domain?: [number, number];
}): React.JSX.Element {
  return (
    <figure role="img" aria-label={description} className="w-full" style={{ height }}>
      <ResponsiveContainer width="100%" height="100%">
        <LineChart data={rows} margin={{ top: 4, right: 12, bottom: 0, left: 0 }}>
          <CartesianGrid strokeDasharray="3 3" stroke="#e5e5e5" />
          <XAxis dataKey="t" type="number" domain={['dataMin', 'dataMax']} tickFormatter={clock} fontSize={11} minTickGap={40} />
          <YAxis fontSize={11} width={48} unit={unit} {...(domain ? { domain } : {})} allowDecimals />
          <Tooltip labelFormatter={(t) => clock(Number(t))} formatter={(v) => (typeof v === 'number' ? `${Math.round(v * 100) / 100} ${unit}` : '–')} />
          {series.length > 1 ? <Legend wrapperStyle={{ fontSize: 11 }} /> : null}
          {series.map((s, i) => (
            <Line key={s.key} dataKey={s.key} name={s.label} stroke={COLOURS[i % COLOURS.length]} dot={false} isAnimationActive={false} connectNulls={false} strokeWidth={1.5} />
          ))}
        </LineChart>
      </ResponsiveContainer>
    </figure>
  );
}
