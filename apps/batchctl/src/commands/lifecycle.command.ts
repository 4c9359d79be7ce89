import { ConfigOverrides, parse } from '@batch/contracts';
import type { BatchClient, BatchView } from '@batch/client';
import { connect, jsonOption, parseCommandLine, positionalsOf, type Command } from '../command-line.js';
import { batchLine } from '../format.js';

/** A command that moves one batch and prints where it now stands. */
function lifecycleCommand(
  name: string,
  summary: string,
  action: (client: BatchClient, batchId: string) => Promise<BatchView>,
): Command {
  const command: Command = {
    name,
    usage: `${name} <batchId>`,
    summary,
    async run(args, { env }) {
      const { values, positionals } = parseCommandLine(command, args, {});
      const [batchId] = positionalsOf(command, positionals, ['batchId']);
      process.stdout.write(batchLine(await action(connect(values, env), batchId)));
      return 0;
    },
  };
  return command;
}

export const startCommand = lifecycleCommand('start', 'start a batch created with --no-start', (client, id) =>
  client.startBatch(id),
);
export const pauseCommand = lifecycleCommand('pause', 'pause a running batch', (client, id) =>
  client.pauseBatch(id),
);
export const cancelCommand = lifecycleCommand('cancel', 'cancel a batch for good', (client, id) =>
  client.cancelBatch(id),
);
export const retryFailedCommand = lifecycleCommand(
  'retry-failed',
  'run the failed items of an ended batch again',
  (client, id) => client.retryFailed(id),
);

export const resumeCommand: Command = {
  name: 'resume',
  usage: `resume <batchId> [--config-overrides '{"temperature":0.5}']`,
  summary: 'resume a paused batch, optionally with config overrides',
  async run(args, { env }) {
    const { values, positionals } = parseCommandLine(resumeCommand, args, {
      'config-overrides': { type: 'string' },
    });
    const [batchId] = positionalsOf(resumeCommand, positionals, ['batchId']);
    const text = values['config-overrides'];
    const configOverrides =
      text === undefined
        ? undefined
        : parse(ConfigOverrides, jsonOption(resumeCommand, 'config-overrides', text), 'config overrides');
    process.stdout.write(batchLine(await connect(values, env).resumeBatch(batchId, { configOverrides })));
    return 0;
  },
};

export const discardCommand: Command = {
  name: 'discard',
  usage: 'discard <batchId>',
  summary: 'delete a batch that is not running, with its items',
  async run(args, { env }) {
    const { values, positionals } = parseCommandLine(discardCommand, args, {});
    const [batchId] = positionalsOf(discardCommand, positionals, ['batchId']);
    await connect(values, env).discardBatch(batchId);
    process.stdout.write(`${batchId} discarded\n`);
    return 0;
  },
};
