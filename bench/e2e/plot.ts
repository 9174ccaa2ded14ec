/**
 * The latency CDF plot, written by the benchmark itself: a hand-made SVG with one polyline per series
 * on a logarithmic µs axis.
 */
export interface Series {
  name: string;
  color: string;
  points: Array<[number, number]>;
}

export function cdfSvg(title: string, series: Series[], notes: string[] = []): string {
  const W = 820;
  const H = 480;
  const L = 70;
  const R = 20;
  const T = 40;
  const B = 60;
  const all = series.flatMap((s) => s.points.map((p) => p[0]));
  const lo = 10 ** Math.floor(Math.log10(Math.max(1, Math.min(...all, 1e9))));
  const hi = 10 ** Math.ceil(Math.log10(Math.max(10, ...all)));
  const x = (v: number): number => L + ((Math.log10(Math.max(v, lo)) - Math.log10(lo)) / (Math.log10(hi) - Math.log10(lo))) * (W - L - R);
  const y = (q: number): number => T + (1 - q) * (H - T - B);
  const out: string[] = [];
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="12">`);
  out.push(`<rect width="${W}" height="${H}" fill="white"/>`);
  out.push(`<text x="${W / 2}" y="22" text-anchor="middle" font-size="15">${esc(title)}</text>`);
  for (let d = lo; d <= hi; d *= 10) {
    for (const m of [1, 2, 5]) {
      const v = d * m;
      if (v > hi) break;
      const xv = x(v).toFixed(1);
      out.push(`<line x1="${xv}" y1="${T}" x2="${xv}" y2="${H - B}" stroke="${m === 1 ? '#bbb' : '#eee'}"/>`);
      if (m === 1 || m === 5) out.push(`<text x="${xv}" y="${H - B + 16}" text-anchor="middle">${label(v)}</text>`);
    }
  }
  for (const q of [0, 0.25, 0.5, 0.75, 0.9, 0.99, 1]) {
    const yv = y(q).toFixed(1);
    out.push(`<line x1="${L}" y1="${yv}" x2="${W - R}" y2="${yv}" stroke="#ddd"/>`);
    out.push(`<text x="${L - 6}" y="${(y(q) + 4).toFixed(1)}" text-anchor="end">${q}</text>`);
  }
  out.push(`<rect x="${L}" y="${T}" width="${W - L - R}" height="${H - T - B}" fill="none" stroke="#444"/>`);
  out.push(`<text x="${(L + W - R) / 2}" y="${H - B + 36}" text-anchor="middle">latency (log scale)</text>`);
  out.push(`<text x="18" y="${(T + H - B) / 2}" text-anchor="middle" transform="rotate(-90 18 ${(T + H - B) / 2})">fraction of ticks ≤ latency</text>`);
  series.forEach((s, i) => {
    if (s.points.length === 0) return;
    const pts = s.points.map(([v, q]) => `${x(v).toFixed(1)},${y(q).toFixed(1)}`).join(' ');
    out.push(`<polyline fill="none" stroke="${s.color}" stroke-width="2" points="${pts}"/>`);
    const ly = T + 16 + i * 18;
    out.push(`<line x1="${L + 12}" y1="${ly - 4}" x2="${L + 36}" y2="${ly - 4}" stroke="${s.color}" stroke-width="3"/>`);
    out.push(`<text x="${L + 42}" y="${ly}">${esc(s.name)}</text>`);
  });
  notes.forEach((n, i) => out.push(`<text x="${W - R - 6}" y="${H - B - 10 - (notes.length - 1 - i) * 16}" text-anchor="end" fill="#555">${esc(n)}</text>`));
  out.push('</svg>');
  return `${out.join('\n')}\n`;
}

function label(us: number): string {
  if (us >= 1_000_000) return `${us / 1_000_000} s`;
  if (us >= 1000) return `${us / 1000} ms`;
  return `${us} µs`;
}

function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}
