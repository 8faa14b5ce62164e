import { frictionChart, lossesChart, stopsChart } from './charts.ts';
import { LAYERS, LAYER_LABELS, type SimResult } from './metrics.ts';

const yen = (n: number) => `¥${n.toLocaleString('en')}`;
const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
const pct = (n: number, of: number) => `${((100 * n) / Math.max(1, of)).toFixed(2)}%`;

/** The comparison as rows: what the console prints and the README shows. */
export function summaryRows(results: SimResult[]): string[][] {
  const header = [
    'config',
    'stolen',
    'cashed out',
    'victims hit',
    'stopped (by layer)',
    'first detection',
    'honest challenged',
    'denied',
    'blocked',
    'cases',
    'ledger',
  ];
  const rows = results.map((r) => [
    r.config,
    yen(r.stolenYen),
    yen(r.cashedOutYen),
    `${r.victimsHit}/${r.victims}`,
    LAYERS.filter((l) => r.stopsByLayer[l] > 0)
      .map((l) => `${LAYER_LABELS[l]} ${r.stopsByLayer[l]}`)
      .join(', ') || '-',
    r.firstDetectionHours === null ? 'never' : `${r.firstDetectionHours} h`,
    `${r.honestChallenged} (${pct(r.honestChallenged, r.honestUsers)})`,
    `${r.honestDenied} (${pct(r.honestDenied, r.honestUsers)})`,
    `${r.honestBlocked}`,
    r.casesOpened === null ? 'not read' : `${r.casesOpened}`,
    r.ledgerVerified === null ? 'not checked' : r.ledgerVerified ? 'ok' : 'BROKEN',
  ]);
  return [header, ...rows];
}

/** A plain-text table for the console. */
export function textTable(rows: string[][]): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  return rows.map((r) => r.map((c, i) => c.padEnd(widths[i]!)).join('  ')).join('\n');
}

/** A Markdown table (the README's). */
export function markdownTable(rows: string[][]): string {
  const [h, ...body] = rows;
  return [
    `| ${h!.join(' | ')} |`,
    `|${h!.map(() => '---').join('|')}|`,
    ...body.map((r) => `| ${r.join(' | ')} |`),
  ].join('\n');
}

/** One self-contained page: the table and the three charts inline (SVG), no script, nothing fetched. */
export function reportHtml(results: SimResult[], note = ''): string {
  const rows = summaryRows(results);
  const table = `<table><thead><tr>${rows[0]!.map((c) => `<th>${esc(c)}</th>`).join('')}</tr></thead><tbody>${rows
    .slice(1)
    .map((r) => `<tr>${r.map((c) => `<td>${esc(c)}</td>`).join('')}</tr>`)
    .join('')}</tbody></table>`;
  const configs = results.map((r) => `<li><b>${esc(r.config)}</b>: ${esc(r.description)}</li>`).join('');
  const first = results[0];
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Saifu attack simulator report</title>
<style>body{font-family:sans-serif;margin:2em;max-width:1100px}table{border-collapse:collapse;font-size:13px}
td,th{border:1px solid #ccc;padding:4px 8px;text-align:left}th{background:#f4f4f4}figure{margin:1.5em 0}</style>
</head><body>
<h1>Saifu attack simulator</h1>
<p>${first ? `${first.users.toLocaleString('en')} honest users, ${first.victims} phished victims, ${first.days} simulated days, seed ${first.seed}.` : ''} ${esc(note)}</p>
${table}
<ul>${configs}</ul>
<figure>${lossesChart(results)}</figure>
<figure>${stopsChart(results)}</figure>
<figure>${frictionChart(results)}</figure>
</body></html>
`;
}
