import { connect, defineCommand, JSON_OPTION, positionalsOf, UsageError } from '../command-line.js';
import { printJson } from '../format.js';

export const recoverCommand = defineCommand({
  name: 'recover',
  usage: 'recover [--json]',
  summary: 'resume the batches left running by a crash',
  options: JSON_OPTION,
  async run({ values, positionals }, { env }) {
    positionalsOf(recoverCommand, positionals, []);
    const result = await connect(values, env).recover();
    if (values.json) printJson(result);
    else
      process.stdout.write(
        `recovered ${result.recovered_count} running batches: their dispatch was checked and restarted\n`,
      );
    return 0;
  },
});

export const cleanupCommand = defineCommand({
  name: 'cleanup',
  usage: 'cleanup --days-old N [--json]',
  summary: 'remove the batches that ended more than N days ago',
  options: { 'days-old': { type: 'string' }, ...JSON_OPTION },
  async run({ values, positionals }, { env }) {
    positionalsOf(cleanupCommand, positionals, []);
    const daysOld = values['days-old'];
    if (daysOld === undefined || !/^\d+$/.test(daysOld))
      throw new UsageError('--days-old must be a whole number of days (0 or more)', cleanupCommand.usage);
    const result = await connect(values, env).cleanup(Number(daysOld));
    if (values.json) printJson(result);
    else
      process.stdout.write(
        `cleaned ${result.cleaned_count} batches ended over ${result.days_old} days ago\n`,
      );
    return 0;
  },
});
