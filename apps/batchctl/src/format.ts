import type { BatchView, ItemView } from '@batch/client';
import { formatUsd } from '@batch/contracts';

/** Settled items: completed or failed for good. */
export const settledOf = (batch: BatchView): number => batch.processed_count + batch.failed_count;

const progressOf = (batch: BatchView): string =>
  `${settledOf(batch)}/${batch.total_items} (${batch.progress_percent.toFixed(1)}%), ${batch.failed_count} failed`;

/** Tokens and estimated cost of the calls that completed items: `1,200 prompt + 600 completion tokens, $0.0123`. */
export const usageOf = (batch: BatchView): string =>
  `${batch.prompt_tokens.toLocaleString('en-US')} prompt + ${batch.completion_tokens.toLocaleString('en-US')} completion tokens, ${formatUsd(batch.cost_usd)}`;

/** One line on what a command did to a batch. */
export const batchLine = (batch: BatchView): string =>
  `${batch.batch_id} ${batch.status}: ${progressOf(batch)}\n`;

export function describeBatch(batch: BatchView): string {
  const rows: [string, string | null][] = [
    ['batch', batch.batch_id],
    ['name', batch.name],
    ['status', batch.status],
    ['progress', progressOf(batch)],
    ['completed', String(batch.processed_count)],
    ['pending', String(batch.pending_count)],
    ['usage', usageOf(batch)],
    ['budget', batch.config.maxCostUsd === undefined ? null : formatUsd(batch.config.maxCostUsd)],
    ['paused for', batch.status === 'paused' ? batch.pause_reason : null],
    ['config', JSON.stringify(batch.config)],
    ['created', batch.created_at],
    ['started', batch.started_at],
    ['paused', batch.paused_at],
    ['ended', batch.completed_at],
    ['checkpoint', batch.last_checkpoint_at],
  ];
  return rows.map(([label, value]) => `${label.padEnd(11)}${value ?? '-'}\n`).join('');
}

export const columnWidths = (header: string[], rows: string[][]): number[] =>
  header.map((title, column) => Math.max(title.length, ...rows.map((row) => (row[column] ?? '').length)));

/** Rows with their columns padded to `widths`; the last column is not padded. */
export const tableRows = (rows: string[][], widths: number[]): string =>
  rows
    .map(
      (cells) =>
        `${cells
          .map((cell, column) => (column === cells.length - 1 ? cell : cell.padEnd(widths[column] ?? 0)))
          .join('  ')
          .trimEnd()}\n`,
    )
    .join('');

const table = (header: string[], rows: string[][]): string =>
  tableRows([header, ...rows], columnWidths(header, rows));

export const batchTable = (batches: BatchView[]): string =>
  table(
    ['BATCH', 'STATUS', 'PROGRESS', 'FAILED', 'CREATED', 'NAME'],
    batches.map((batch) => [
      batch.batch_id,
      batch.status,
      `${settledOf(batch)}/${batch.total_items}`,
      String(batch.failed_count),
      batch.created_at,
      batch.name,
    ]),
  );

const MAX_TOPIC_CHARS = 40;

const shortened = (text: string, chars: number) =>
  text.length > chars ? `${text.slice(0, chars - 1)}…` : text;

export const itemRow = (item: ItemView): string[] => [
  item.item_id,
  item.status,
  String(item.attempt),
  shortened(item.topic.replace(/\s+/g, ' '), MAX_TOPIC_CHARS),
  item.error === null ? '' : `${item.error.code}: ${item.error.message}`,
];

export const ITEM_COLUMNS = ['ITEM', 'STATUS', 'ATTEMPTS', 'TOPIC', 'ERROR'];

/** `--json`: a value as indented JSON on stdout. */
export const printJson = (value: unknown): void => {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
};
