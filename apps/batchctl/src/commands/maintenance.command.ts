import { connect, parseCommandLine, positionalsOf, UsageError, type Command } from '../command-line.js';

export const recoverCommand: Command = {
  name: 'recover',
  usage: 'recover',
  summary: 'resume the batches left running by a crash',
  async run(args, { env }) {
    const { values, positionals } = parseCommandLine(recoverCommand, args, {});
    positionalsOf(recoverCommand, positionals, []);
    const { recovered_count } = await connect(values, env).recover();
    process.stdout.write(
      `recovered ${recovered_count} running batches: their dispatch was checked and restarted\n`,
    );
    return 0;
  },
};

export const cleanupCommand: Command = {
  name: 'cleanup',
  usage: 'cleanup --days-old N',
  summary: 'remove the batches that ended more than N days ago',
  async run(args, { env }) {
    const { values, positionals } = parseCommandLine(cleanupCommand, args, {
      'days-old': { type: 'string' },
    });
    positionalsOf(cleanupCommand, positionals, []);
    const daysOld = values['days-old'];
    if (daysOld === undefined || !/^\d+$/.test(daysOld))
      throw new UsageError('--days-old must be a whole number of days (0 or more)', cleanupCommand.usage);
    const { cleaned_count, days_old } = await connect(values, env).cleanup(Number(daysOld));
    process.stdout.write(`cleaned ${cleaned_count} batches ended over ${days_old} days ago\n`);
    return 0;
  },
};
