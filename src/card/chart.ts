/**
 * Per-layer charts of gradient parameters, as standalone SVG files committed beside the card
 * (the Hub renders images linked relatively). Deterministic text: same data, same bytes.
 */
import type { CardData, CardGradient } from './data.js';

const W = 640;
const H = 260;
const PAD = { left: 56, right: 16, top: 36, bottom: 40 };

function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

const num = (x: number): string => String(+x.toFixed(2));

export function gradientTitle(g: CardGradient): string {
  return `${g.param}${g.filter ? ` (${g.filter})` : ''} — ${g.stage ? `stage ${g.stage}, ` : ''}${g.scope}`;
}

export function gradientChartSvg(g: CardGradient): string {
  const n = g.perLayer.length;
  let lo = Math.min(...g.perLayer);
  let hi = Math.max(...g.perLayer);
  if (hi - lo < 1e-9) { lo -= 0.5; hi += 0.5; }
  const pw = W - PAD.left - PAD.right;
  const ph = H - PAD.top - PAD.bottom;
  const x = (i: number): number => PAD.left + (n > 1 ? (i / (n - 1)) * pw : pw / 2);
  const y = (v: number): number => PAD.top + (1 - (v - lo) / (hi - lo)) * ph;
  const pts = g.perLayer.map((v, i) => `${num(x(i))},${num(y(v))}`).join(' ');
  const ticksY = [lo, (lo + hi) / 2, hi];
  const stepX = Math.max(1, Math.ceil(n / 8));
  const ticksX = Array.from({ length: n }, (_, i) => i).filter((i) => i % stepX === 0 || i === n - 1);
  const out = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="12">`,
    `<title>${esc(gradientTitle(g))}</title>`,
    `<rect width="${W}" height="${H}" fill="#ffffff"/>`,
    `<text x="${PAD.left}" y="20" font-size="14" fill="#111">${esc(gradientTitle(g))}</text>`,
    `<line x1="${PAD.left}" y1="${PAD.top + ph}" x2="${PAD.left + pw}" y2="${PAD.top + ph}" stroke="#888"/>`,
    `<line x1="${PAD.left}" y1="${PAD.top}" x2="${PAD.left}" y2="${PAD.top + ph}" stroke="#888"/>`,
    ...ticksY.map((v) => `<text x="${PAD.left - 6}" y="${num(y(v) + 4)}" text-anchor="end" fill="#444">${num(v)}</text>`),
    ...ticksX.map((i) => `<text x="${num(x(i))}" y="${PAD.top + ph + 16}" text-anchor="middle" fill="#444">${i}</text>`),
    `<text x="${PAD.left + pw / 2}" y="${H - 6}" text-anchor="middle" fill="#444">layer</text>`,
    `<polyline fill="none" stroke="#d9480f" stroke-width="2" points="${pts}"/>`,
    ...g.perLayer.map((v, i) => `<circle cx="${num(x(i))}" cy="${num(y(v))}" r="3" fill="#d9480f"/>`),
    '</svg>',
  ];
  return out.join('\n') + '\n';
}

/** The chart files of a card: `mergeops-gradient-N.svg`, one per gradient setting. */
export function chartFiles(data: CardData): { name: string; svg: string; title: string }[] {
  return data.gradients.map((g, i) => ({ name: `mergeops-gradient-${i + 1}.svg`, svg: gradientChartSvg(g), title: gradientTitle(g) }));
}
