import { connect, defineCommand, JSON_OPTION, positionalsOf } from '../command-line.js';
import { describeBatch, printJson } from '../format.js';

export const statusCommand = defineCommand({
  name: 'status',
  usage: 'status <batchId> [--json]',
  summary: 'show a batch',
  options: JSON_OPTION,
  async run({ values, positionals }, { env }) {
    const [batchId] = positionalsOf(statusCommand, positionals, ['batchId']);
    const batch = await connect(values, env).getBatch(batchId);
    if (values.json) printJson(batch);
    else process.stdout.write(describeBatch(batch));
    return 0;
  },
});
