/** Fixed-width tables: numbers right-aligned, text left-aligned, no quotes (console.table quotes every string). */

export type Cell = string | number | undefined;

export function printTable(title: string, columns: string[], rows: Cell[][]): void {
  const text = (c: Cell) =>
    c === undefined || (typeof c === 'number' && Number.isNaN(c))
      ? '-'
      : typeof c === 'number'
        ? c.toLocaleString('en-US')
        : c;
  const cells = rows.map((r) => columns.map((_, i) => text(r[i])));
  const numeric = columns.map((_, i) => rows.every((r) => r[i] === undefined || typeof r[i] === 'number'));
  const widths = columns.map((h, i) => Math.max(h.length, ...cells.map((r) => r[i]!.length)));
  const line = (values: string[]) =>
    `│ ${values.map((v, i) => (numeric[i] ? v.padStart(widths[i]!) : v.padEnd(widths[i]!))).join(' │ ')} │`;
  const rule = (l: string, m: string, r: string) => `${l}${widths.map((w) => '─'.repeat(w + 2)).join(m)}${r}`;
  console.log(`\n${title}`);
  console.log(rule('┌', '┬', '┐'));
  console.log(line(columns));
  console.log(rule('├', '┼', '┤'));
  for (const r of cells) console.log(line(r));
  console.log(rule('└', '┴', '┘'));
}

export const pct = (x: number): string => `${Math.round(x * 100)}%`;
export const times = (x: number): string => `${x.toFixed(2)}×`;
