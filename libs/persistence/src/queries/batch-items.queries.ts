import type { DataSource } from 'typeorm';
import type { ItemStatus } from '@batch/contracts';
import { BatchItemRecord } from '../entities/batch-item.entity.js';
import { BatchRecord } from '../entities/batch.entity.js';
import { decodeCursor, encodeCursor, ItemCursor } from './page-cursor.js';
import { toItemView, type ItemView, type Page } from './batch-views.js';

export interface ListItemsQuery {
  userId: string;
  batchId: string;
  status?: ItemStatus;
  cursor?: string;
  limit?: number;
}

/** A page of the items of the user's batch in their order of arrival; undefined if it is not theirs. */
export async function listItems(
  dataSource: DataSource,
  { userId, batchId, status, cursor, limit = 100 }: ListItemsQuery,
): Promise<Page<ItemView> | undefined> {
  if (!(await dataSource.getRepository(BatchRecord).existsBy({ batchId, userId }))) return undefined;
  const query = dataSource
    .getRepository(BatchItemRecord)
    .createQueryBuilder('item')
    .where('item.batchId = :batchId', { batchId })
    .orderBy('item.position', 'ASC')
    .limit(limit + 1);
  if (status) query.andWhere('item.status = :status', { status });
  if (cursor) {
    const [position] = decodeCursor(cursor, ItemCursor);
    query.andWhere('item.position > :position', { position });
  }
  const items = await query.getMany();
  const page = items.slice(0, limit);
  const last = page.at(-1);
  return {
    items: page.map(toItemView),
    next_cursor: items.length > limit && last ? encodeCursor([last.position]) : null,
  };
}
