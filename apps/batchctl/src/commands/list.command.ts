import { BatchStatus, parse } from '@batch/contracts';
import type { BatchView } from '@batch/client';
import { connect, defineCommand, JSON_OPTION, positionalsOf } from '../command-line.js';
import { batchTable, printJson } from '../format.js';

export const listCommand = defineCommand({
  name: 'list',
  usage: `list [--status ${BatchStatus.options.join('|')}] [--json]`,
  summary: 'list your batches',
  options: { status: { type: 'string' }, ...JSON_OPTION },
  choices: { status: BatchStatus.options },
  async run({ values, positionals }, { env }) {
    positionalsOf(listCommand, positionals, []);
    const status = values.status === undefined ? undefined : parse(BatchStatus, values.status, '--status');
    const batches: BatchView[] = [];
    for await (const batch of connect(values, env).allBatches({ status })) batches.push(batch);
    if (values.json) printJson(batches);
    else process.stdout.write(batchTable(batches));
    return 0;
  },
});
