import { createWriteStream } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import { resolve } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { BatchClient } from '@batch/client';
import { connect, parseCommandLine, positionalsOf, type Command } from '../command-line.js';

export const exportCommand: Command = {
  name: 'export',
  usage: 'export <batchId> [--out results.jsonl]',
  summary: "stream the completed items' conversations as JSONL to a file or stdout",
  async run(args, { env, cwd }) {
    const { values, positionals } = parseCommandLine(exportCommand, args, { out: { type: 'string' } });
    const [batchId] = positionalsOf(exportCommand, positionals, ['batchId']);
    const client = connect(values, env);
    const counted = { lines: 0 };
    if (values.out === undefined) {
      await pipeline(resultLines(client, batchId, counted), process.stdout, { end: false });
      process.stderr.write(`exported ${counted.lines} results\n`);
      return 0;
    }
    const out = resolve(cwd, values.out);
    // Written aside and renamed at the end: a file at --out is always a whole export.
    const partial = `${out}.partial`;
    try {
      await pipeline(resultLines(client, batchId, counted), createWriteStream(partial));
      await rename(partial, out);
    } catch (error) {
      await rm(partial, { force: true });
      throw error;
    }
    process.stderr.write(`exported ${counted.lines} results to ${values.out}\n`);
    return 0;
  },
};

/** The results as JSONL text, read from the API as the file is written (with its backpressure). */
const resultLines = (client: BatchClient, batchId: string, counted: { lines: number }) =>
  Readable.from(
    (async function* () {
      for await (const line of client.results(batchId)) {
        counted.lines += 1;
        yield `${JSON.stringify(line)}\n`;
      }
    })(),
  );
