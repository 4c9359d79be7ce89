import { BatchStatus, parse } from '@batch/contracts';
import type { BatchView } from '@batch/client';
import { connect, parseCommandLine, positionalsOf, type Command } from '../command-line.js';
import { batchTable } from '../format.js';

export const listCommand: Command = {
  name: 'list',
  usage: `list [--status ${BatchStatus.options.join('|')}] [--json]`,
  summary: 'list your batches',
  async run(args, { env }) {
    const { values, positionals } = parseCommandLine(listCommand, args, {
      status: { type: 'string' },
      json: { type: 'boolean' },
    });
    positionalsOf(listCommand, positionals, []);
    const status = values.status === undefined ? undefined : parse(BatchStatus, values.status, '--status');
    const batches: BatchView[] = [];
    for await (const batch of connect(values, env).allBatches({ status })) batches.push(batch);
    process.stdout.write(values.json ? `${JSON.stringify(batches, null, 2)}\n` : batchTable(batches));
    return 0;
  },
};
