/** A figure of the bench: what, how much, in which unit, and what it was measured on. */
export interface Figure {
  name: string;
  value: number;
  unit: string;
  note?: string;
}

export const rate = (count: number, ms: number): number => Math.round((count / ms) * 1000);
export const mib = (bytes: number): number => Math.round((bytes / 1024 / 1024) * 10) / 10;
export const peakRssMib = (): number => mib(process.resourceUsage().maxRSS * 1024);

export async function timed<T>(run: () => Promise<T>): Promise<{ ms: number; result: T }> {
  const started = performance.now();
  const result = await run();
  return { ms: performance.now() - started, result };
}

export function printTable(title: string, figures: Figure[]): void {
  printGrid(
    title,
    ['figure', 'value', 'unit', 'note'],
    figures.map((figure) => [
      figure.name,
      figure.value.toLocaleString('en-US'),
      figure.unit,
      figure.note ?? '',
    ]),
  );
}

/** A markdown table of any columns. */
export function printGrid(title: string, head: string[], rows: string[][]): void {
  const widths = head.map((name, column) =>
    Math.max(name.length, ...rows.map((row) => row[column]!.length), 4),
  );
  const line = (cells: string[]) =>
    `| ${cells.map((cell, column) => cell.padEnd(widths[column]!)).join(' | ')} |`;
  console.log(`\n## ${title}\n`);
  console.log(line(head));
  console.log(line(widths.map((width) => '-'.repeat(width))));
  for (const row of rows) console.log(line(row));
}
