import type { BatchStats } from '@batch/client';
import { connect, defineCommand, JSON_OPTION, positionalsOf } from '../command-line.js';
import { columnWidths, printJson, tableRows } from '../format.js';

export const statsCommand = defineCommand({
  name: 'stats',
  usage: 'stats <batchId> [--json]',
  summary: "show a batch's dataset statistics: turns, characters, tokens, personas, duplicates, failures",
  options: JSON_OPTION,
  async run({ values, positionals }, { env }) {
    const [batchId] = positionalsOf(statsCommand, positionals, ['batchId']);
    const stats = await connect(values, env).stats(batchId);
    if (values.json) printJson(stats);
    else process.stdout.write(describeStats(stats));
    return 0;
  },
});

const number = (value: number): string => value.toLocaleString('en-US');

const table = (header: string[], rows: string[][]): string =>
  tableRows([header, ...rows], columnWidths(header, rows));

/** One figure a line, then the personas and the failures by code as tables. */
export function describeStats(stats: BatchStats): string {
  const { turns, characters, tokens, duplicates, failures } = stats;
  const { min, mean, max } = turns.per_conversation;
  const rows: [string, string][] = [
    ['batch', stats.batch_id],
    ['conversations', number(stats.conversations)],
    [
      'turns',
      mean === null
        ? number(turns.total)
        : `${number(turns.total)}; per conversation min ${min}, mean ${mean}, max ${max}`,
    ],
    [
      'characters',
      `${number(characters.total)}: user ${number(characters.user)}, assistant ${number(characters.assistant)}, system ${number(characters.system)}`,
    ],
    [
      'tokens',
      `${number(tokens.prompt)} prompt + ${number(tokens.completion)} completion, from ${number(tokens.conversations_with_usage)} of ${number(stats.conversations)} conversations`,
    ],
    [
      'duplicates',
      `${number(duplicates.assistant_replies)} assistant replies repeat an earlier one (${number(duplicates.distinct_duplicated)} distinct replies repeated)`,
    ],
    ['empty replies', number(stats.empty_replies)],
    ['truncated', number(stats.truncated)],
    ['failed items', number(failures.total)],
  ];
  const sections = [rows.map(([label, value]) => `${label.padEnd(15)}${value}\n`).join('')];
  if (stats.personas.length > 0)
    sections.push(
      table(
        ['PERSONA', 'CONVERSATIONS'],
        stats.personas.map(({ persona, count }) => [persona, number(count)]),
      ),
    );
  if (failures.by_code.length > 0)
    sections.push(
      table(
        ['ERROR CODE', 'ITEMS'],
        failures.by_code.map(({ code, count }) => [code, number(count)]),
      ),
    );
  return sections.join('\n');
}
