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
  const rows = figures.map((figure) => [
    figure.name,
    figure.value.toLocaleString('en-US'),
    figure.unit,
    figure.note ?? '',
  ]);
  const widths = [0, 1, 2, 3].map((column) => Math.max(...rows.map((row) => row[column]!.length), 4));
  console.log(`\n## ${title}\n`);
  console.log(
    `| ${['figure', 'value', 'unit', 'note'].map((head, column) => head.padEnd(widths[column]!)).join(' | ')} |`,
  );
  console.log(`| ${widths.map((width) => '-'.repeat(width)).join(' | ')} |`);
  for (const row of rows)
    console.log(`| ${row.map((cell, column) => cell.padEnd(widths[column]!)).join(' | ')} |`);
}
