import { once } from 'node:events';
import { Inject, Injectable } from '@nestjs/common';
import type { Response } from 'express';
import { resultsPage } from '@batch/persistence';
import { RUNTIME, type GatewayRuntime } from '../infrastructure/gateway-runtime.js';

const PAGE_SIZE = 500;

/**
 * Streams a batch's completed items as JSONL, a page at a time, waiting for the client to drain
 * each write: memory stays one page whatever the batch size, and a running batch yields what is
 * done so far.
 */
@Injectable()
export class ResultsStreamer {
  constructor(@Inject(RUNTIME) private readonly runtime: GatewayRuntime) {}

  async stream(userId: string, batchId: string, response: Response): Promise<void> {
    response.status(200).setHeader('Content-Type', 'application/x-ndjson; charset=utf-8');
    response.setHeader('Content-Disposition', `attachment; filename="${batchId}.jsonl"`);
    const closed = new AbortController();
    response.once('close', () => closed.abort());
    let afterItemId: string | undefined;
    try {
      while (!closed.signal.aborted) {
        const page = await resultsPage(this.runtime.ds, { userId, batchId, afterItemId, limit: PAGE_SIZE });
        if (page.length === 0) break;
        const text = page.map((line) => JSON.stringify(line)).join('\n') + '\n';
        if (!response.write(text)) await once(response, 'drain', { signal: closed.signal });
        afterItemId = page.at(-1)?.item_id;
        if (page.length < PAGE_SIZE) break;
      }
    } catch (error) {
      // A client that went away is not an error of ours.
      if (!closed.signal.aborted) throw error;
    }
    response.end();
  }
}
