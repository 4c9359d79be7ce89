import { In, LessThan, type DataSource } from 'typeorm';
import type { BatchStatus } from '@batch/contracts';
import { BatchItemRecord } from '../entities/batch-item.entity.js';
import { BatchRecord } from '../entities/batch.entity.js';
import { BatchCursor, decodeCursor, encodeCursor } from './page-cursor.js';
import { toBatchView, type BatchView, type Page } from './batch-views.js';

const INCOMPLETE: BatchStatus[] = ['pending', 'running', 'paused'];
const ENDED: BatchStatus[] = ['completed', 'failed', 'cancelled'];

/** The user's batch, or undefined: another user's batch does not exist for them. */
export async function getBatchView(
  dataSource: DataSource,
  userId: string,
  batchId: string,
): Promise<BatchView | undefined> {
  const batch = await dataSource.getRepository(BatchRecord).findOneBy({ batchId, userId });
  return batch ? toBatchView(batch) : undefined;
}

export interface ListBatchesQuery {
  userId: string;
  status?: BatchStatus;
  cursor?: string;
  limit?: number;
}

/** The user's batches, newest first, a page at a time. */
export async function listBatchViews(
  dataSource: DataSource,
  { userId, status, cursor, limit = 100 }: ListBatchesQuery,
): Promise<Page<BatchView>> {
  const query = dataSource
    .getRepository(BatchRecord)
    .createQueryBuilder('batch')
    .where('batch.userId = :userId', { userId })
    .orderBy('batch.createdAt', 'DESC')
    .addOrderBy('batch.batchId', 'DESC')
    .limit(limit + 1);
  if (status) query.andWhere('batch.status = :status', { status });
  if (cursor) {
    const [createdAt, batchId] = decodeCursor(cursor, BatchCursor);
    query.andWhere('(batch.createdAt, batch.batchId) < (:createdAt, :batchId)', {
      createdAt: new Date(createdAt),
      batchId,
    });
  }
  const batches = await query.getMany();
  const page = batches.slice(0, limit);
  const last = page.at(-1);
  return {
    items: page.map(toBatchView),
    next_cursor:
      batches.length > limit && last ? encodeCursor([last.createdAt.toISOString(), last.batchId]) : null,
  };
}

/** The user's batches that have not ended (pending, running, paused), newest first: the resume dialog. */
export async function incompleteBatchViews(dataSource: DataSource, userId: string): Promise<BatchView[]> {
  const batches = await dataSource.getRepository(BatchRecord).find({
    where: { userId, status: In(INCOMPLETE) },
    order: { createdAt: 'DESC', batchId: 'DESC' },
  });
  return batches.map(toBatchView);
}

/** Running batches (all users', or one user's): the ones a recovery pass dispatches again. */
export async function runningBatchIds(dataSource: DataSource, userId?: string): Promise<string[]> {
  const batches = await dataSource.getRepository(BatchRecord).find({
    select: { batchId: true },
    where: { status: 'running', ...(userId === undefined ? {} : { userId }) },
  });
  return batches.map((batch) => batch.batchId);
}

/** Batches that completed, failed or were cancelled before `olderThan` (all users', or one user's). */
export async function endedBatchIds(
  dataSource: DataSource,
  { olderThan, userId }: { olderThan: Date; userId?: string },
): Promise<string[]> {
  const batches = await dataSource.getRepository(BatchRecord).find({
    select: { batchId: true },
    where: { status: In(ENDED), endedAt: LessThan(olderThan), ...(userId === undefined ? {} : { userId }) },
    order: { endedAt: 'ASC' },
  });
  return batches.map((batch) => batch.batchId);
}

/** Removes batches and their items from the read model (cleanup); conversations stay. */
export async function deleteBatchRows(dataSource: DataSource, batchIds: readonly string[]): Promise<number> {
  if (batchIds.length === 0) return 0;
  return dataSource.transaction(async (manager) => {
    await manager.delete(BatchItemRecord, { batchId: In(batchIds) });
    const { affected } = await manager.delete(BatchRecord, { batchId: In(batchIds) });
    return affected ?? 0;
  });
}

/** Batches in the read model by status (every user's): a metrics gauge. */
export async function batchCountsByStatus(dataSource: DataSource): Promise<Map<BatchStatus, number>> {
  const rows: { status: BatchStatus; count: string }[] = await dataSource
    .getRepository(BatchRecord)
    .createQueryBuilder('batch')
    .select('batch.status', 'status')
    .addSelect('count(*)', 'count')
    .groupBy('batch.status')
    .getRawMany();
  return new Map(rows.map((row) => [row.status, Number(row.count)]));
}

/** Items completed or failed over every batch in the read model: a metrics counter. */
export async function itemsSettledTotal(dataSource: DataSource): Promise<number> {
  const row: { settled: string | null } | undefined = await dataSource
    .getRepository(BatchRecord)
    .createQueryBuilder('batch')
    .select('COALESCE(SUM(batch.processedCount + batch.failedCount), 0)', 'settled')
    .getRawOne();
  return Number(row?.settled ?? 0);
}
