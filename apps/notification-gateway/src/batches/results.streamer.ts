import { once } from 'node:events';
import { Inject, Injectable } from '@nestjs/common';
import type { DataSource } from 'typeorm';
import type { Response } from 'express';
import { resultsPage } from '@batch/persistence';
import { DATA_SOURCE } from '@batch/platform';

const PAGE_SIZE = 500;

/**
 * Streams a batch's completed items as JSONL, a page at a time, waiting for the client to drain
 * each write: memory stays one page whatever the batch size, and a running batch yields what is
 * done so far.
 */
@Injectable()
export class ResultsStreamer {
  constructor(@Inject(DATA_SOURCE) private readonly ds: DataSource) {}

  async stream(userId: string, batchId: string, response: Response): Promise<void> {
    const pageAfter = (afterItemId?: string) =>
      resultsPage(this.ds, { userId, batchId, afterItemId, limit: PAGE_SIZE });
    // The first page before the headers: a failure here is still an error answer, not a cut stream.
    let page = await pageAfter();
    response.status(200).setHeader('Content-Type', 'application/x-ndjson; charset=utf-8');
    response.setHeader('Content-Disposition', `attachment; filename="${batchId}.jsonl"`);
    const closed = new AbortController();
    response.once('close', () => closed.abort());
    try {
      while (!closed.signal.aborted && page.length > 0) {
        const text = page.map((line) => JSON.stringify(line)).join('\n') + '\n';
        if (!response.write(text)) await once(response, 'drain', { signal: closed.signal });
        if (page.length < PAGE_SIZE) break;
        page = await pageAfter(page.at(-1)?.item_id);
      }
    } catch (error) {
      // A client that went away is not an error of ours.
      if (!closed.signal.aborted) throw error;
    }
    response.end();
  }
}
