import { once } from 'node:events';
import { Inject, Injectable } from '@nestjs/common';
import type { DataSource } from 'typeorm';
import type { Response } from 'express';
import type { ResultsQuery } from '@batch/contracts';
import { exportPage, type ExportRow } from '@batch/persistence';
import { DATA_SOURCE } from '@batch/platform';
import { exportLines } from './exports/export-lines.js';
import { parquetExport } from './exports/parquet-export.js';

const PAGE_SIZE = 500;

/**
 * A Parquet row group ends once its turns hold this much text (or at ROW_GROUP_MAX_ROWS): what the
 * gateway holds of a Parquet export at once, whatever the size of the conversations.
 */
const ROW_GROUP_TEXT_BYTES = 4 * 1024 * 1024;
const ROW_GROUP_MAX_ROWS = 20_000;

const textBytesOf = (rows: readonly ExportRow[]) =>
  rows.reduce((sum, row) => row.turns.reduce((turns, turn) => turns + turn.content.length, sum), 0);

const FILES: Record<ResultsQuery['format'], { type: string; extension: string }> = {
  jsonl: { type: 'application/x-ndjson; charset=utf-8', extension: 'jsonl' },
  openai: { type: 'application/x-ndjson; charset=utf-8', extension: 'openai.jsonl' },
  sharegpt: { type: 'application/x-ndjson; charset=utf-8', extension: 'sharegpt.jsonl' },
  parquet: { type: 'application/vnd.apache.parquet', extension: 'parquet' },
};

/**
 * Streams a batch's results in a format, a page at a time, waiting for the client to drain each
 * write: memory stays a page (a row group for Parquet) whatever the batch size, and a running batch
 * yields what is done so far.
 */
@Injectable()
export class ResultsStreamer {
  constructor(@Inject(DATA_SOURCE) private readonly ds: DataSource) {}

  async stream(userId: string, batchId: string, query: ResultsQuery, response: Response): Promise<void> {
    const { format, only } = query;
    const pageAfter = (afterItemId?: string) =>
      exportPage(this.ds, { userId, batchId, only, afterItemId, limit: PAGE_SIZE });
    // The first page before the headers: a failure here is still an error answer, not a cut stream.
    const first = await pageAfter();
    const file = FILES[format];
    response.status(200).setHeader('Content-Type', file.type);
    response.setHeader('Content-Disposition', `attachment; filename="${batchId}.${file.extension}"`);
    const closed = new AbortController();
    response.once('close', () => closed.abort());
    const send = async (bytes: string | Uint8Array) => {
      if (!response.write(bytes)) await once(response, 'drain', { signal: closed.signal });
    };
    async function* pages(): AsyncGenerator<ExportRow[]> {
      let page = first;
      while (!closed.signal.aborted && page.length > 0) {
        yield page;
        if (page.length < PAGE_SIZE) return;
        page = await pageAfter(page.at(-1)!.item_id);
      }
    }
    try {
      if (format === 'parquet') {
        const file = parquetExport(send, query);
        let group: ExportRow[] = [];
        let groupBytes = 0;
        for await (const page of pages()) {
          group.push(...page);
          groupBytes += textBytesOf(page);
          if (groupBytes >= ROW_GROUP_TEXT_BYTES || group.length >= ROW_GROUP_MAX_ROWS) {
            await file.writeRowGroup(group);
            group = [];
            groupBytes = 0;
          }
        }
        await file.writeRowGroup(group);
        if (!closed.signal.aborted) await file.finish();
      } else for await (const page of pages()) await send(exportLines(format, page, query));
    } catch (error) {
      // A client that went away is not an error of ours.
      if (!closed.signal.aborted) throw error;
    }
    response.end();
  }
}
