/**
 * The sweep's chart as a standalone SVG (no scripts, no external references, so a README or a
 * model card can show it): score from 0 to 1 against the parameter, one line per task accuracy
 * and one for generation consistency, the chosen value marked.
 */
/** What the chart shows of a sweep. */
export interface SweepChartData {
  param: string;
  chosen: number;
  candidates: readonly { value: number; accuracy: Record<string, number>; inconsistency: number }[];
}

const W = 560;
const H = 320;
const PAD = { left: 48, right: 150, top: 24, bottom: 40 };
const COLORS = ['#1f77b4', '#d62728', '#2ca02c', '#9467bd', '#8c564b', '#e377c2'];

function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

export function renderSweepChart(r: SweepChartData): string {
  const xs = r.candidates.map((c) => c.value);
  const lo = Math.min(...xs);
  const hi = Math.max(...xs);
  const x = (v: number): number => PAD.left + (hi === lo ? 0.5 : (v - lo) / (hi - lo)) * (W - PAD.left - PAD.right);
  const y = (v: number): number => PAD.top + (1 - v) * (H - PAD.top - PAD.bottom);
  const f = (n: number): string => n.toFixed(1);
  const series: { name: string; values: number[]; dash?: string }[] = [
    ...Object.keys(r.candidates[0]?.accuracy ?? {}).map((t) => ({ name: `${t} accuracy`, values: r.candidates.map((c) => c.accuracy[t]) })),
    { name: 'consistency', values: r.candidates.map((c) => 1 - c.inconsistency), dash: '5 3' },
  ];
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="11">`,
    `<rect width="${W}" height="${H}" fill="white"/>`,
  ];
  for (let g = 0; g <= 4; g++) {
    const v = g / 4;
    out.push(`<line x1="${PAD.left}" x2="${W - PAD.right}" y1="${f(y(v))}" y2="${f(y(v))}" stroke="#ddd"/>`,
      `<text x="${PAD.left - 6}" y="${f(y(v) + 4)}" text-anchor="end">${v.toFixed(2)}</text>`);
  }
  for (const v of xs) out.push(`<text x="${f(x(v))}" y="${H - PAD.bottom + 16}" text-anchor="middle">${v}</text>`);
  out.push(`<text x="${f((PAD.left + W - PAD.right) / 2)}" y="${H - 6}" text-anchor="middle">${esc(r.param)}</text>`,
    `<line x1="${f(x(r.chosen))}" x2="${f(x(r.chosen))}" y1="${PAD.top}" y2="${H - PAD.bottom}" stroke="#999" stroke-dasharray="2 2"/>`,
    `<text x="${f(x(r.chosen))}" y="${PAD.top - 8}" text-anchor="middle">chosen ${r.chosen}</text>`);
  series.forEach((s, i) => {
    const color = COLORS[i % COLORS.length];
    const pts = s.values.map((v, j) => `${f(x(xs[j]))},${f(y(v))}`).join(' ');
    out.push(`<polyline fill="none" stroke="${color}" stroke-width="2"${s.dash ? ` stroke-dasharray="${s.dash}"` : ''} points="${pts}"/>`);
    for (const [j, v] of s.values.entries()) out.push(`<circle cx="${f(x(xs[j]))}" cy="${f(y(v))}" r="3" fill="${color}"/>`);
    const ly = PAD.top + 16 * i + 8;
    out.push(`<line x1="${W - PAD.right + 12}" x2="${W - PAD.right + 32}" y1="${ly}" y2="${ly}" stroke="${color}" stroke-width="2"${s.dash ? ` stroke-dasharray="${s.dash}"` : ''}/>`,
      `<text x="${W - PAD.right + 36}" y="${ly + 4}">${esc(s.name)}</text>`);
  });
  out.push('</svg>', '');
  return out.join('\n');
}
