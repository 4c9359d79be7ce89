import { connect, parseCommandLine, positionalsOf, type Command } from '../command-line.js';
import { describeBatch } from '../format.js';

export const statusCommand: Command = {
  name: 'status',
  usage: 'status <batchId> [--json]',
  summary: 'show a batch',
  async run(args, { env }) {
    const { values, positionals } = parseCommandLine(statusCommand, args, { json: { type: 'boolean' } });
    const [batchId] = positionalsOf(statusCommand, positionals, ['batchId']);
    const batch = await connect(values, env).getBatch(batchId);
    process.stdout.write(values.json ? `${JSON.stringify(batch, null, 2)}\n` : describeBatch(batch));
    return 0;
  },
};
