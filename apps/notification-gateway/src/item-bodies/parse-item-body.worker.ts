import { move, transferableSymbol, valueSymbol } from 'piscina';
import { parseItemBody, type ItemBodyJob } from './parse-item-body.js';

/** The worker thread's task: parse a large item body and hand its encoded chunks back without a copy. */
export default async function parseInWorker(job: ItemBodyJob) {
  const parsed = await parseItemBody(job);
  const buffers = parsed.ok ? parsed.chunks.map((chunk) => chunk.buffer) : [];
  return move({
    get [transferableSymbol]() {
      return buffers;
    },
    get [valueSymbol]() {
      return parsed;
    },
  });
}
