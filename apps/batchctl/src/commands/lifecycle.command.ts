import { ConfigOverrides, parse } from '@batch/contracts';
import type { BatchClient, BatchView } from '@batch/client';
import { connect, defineCommand, JSON_OPTION, jsonOption, positionalsOf } from '../command-line.js';
import { batchLine, printJson } from '../format.js';

/** Prints where a batch now stands: one line, or the batch as JSON. */
const printBatch = (batch: BatchView, json: boolean | undefined): void => {
  if (json) printJson(batch);
  else process.stdout.write(batchLine(batch));
};

/** A command that moves one batch and prints where it now stands. */
function lifecycleCommand(
  name: string,
  summary: string,
  action: (client: BatchClient, batchId: string) => Promise<BatchView>,
) {
  const command = defineCommand({
    name,
    usage: `${name} <batchId> [--json]`,
    summary,
    options: JSON_OPTION,
    async run({ values, positionals }, { env }) {
      const [batchId] = positionalsOf(command, positionals, ['batchId']);
      printBatch(await action(connect(values, env), batchId), values.json);
      return 0;
    },
  });
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

export const resumeCommand = defineCommand({
  name: 'resume',
  usage: `resume <batchId> [--config-overrides '{"temperature":0.5}'] [--json]`,
  summary: 'resume a paused batch, optionally with config overrides',
  options: { 'config-overrides': { type: 'string' }, ...JSON_OPTION },
  async run({ values, positionals }, { env }) {
    const [batchId] = positionalsOf(resumeCommand, positionals, ['batchId']);
    const text = values['config-overrides'];
    const configOverrides =
      text === undefined
        ? undefined
        : parse(ConfigOverrides, jsonOption(resumeCommand, 'config-overrides', text), 'config overrides');
    printBatch(await connect(values, env).resumeBatch(batchId, { configOverrides }), values.json);
    return 0;
  },
});

export const discardCommand = defineCommand({
  name: 'discard',
  usage: 'discard <batchId> [--json]',
  summary: 'delete a batch that is not running, with its items',
  options: JSON_OPTION,
  async run({ values, positionals }, { env }) {
    const [batchId] = positionalsOf(discardCommand, positionals, ['batchId']);
    await connect(values, env).discardBatch(batchId);
    if (values.json) printJson({ batch_id: batchId, discarded: true });
    else process.stdout.write(`${batchId} discarded\n`);
    return 0;
  },
});
