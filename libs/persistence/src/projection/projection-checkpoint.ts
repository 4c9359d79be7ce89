import type { DataSource, QueryRunner } from 'typeorm';
import { ProjectionCheckpointRecord } from '../entities/projection-checkpoint.entity.js';
import { rowsOf } from '../sql.js';

/** The checkpoint of the projection into `batches` and `batch_items`. */
export const BATCHES_PROJECTION = 'batches';

/** The projection's last applied stream sequence (0: none yet). */
export async function readCheckpoint(dataSource: DataSource, name: string): Promise<number> {
  const checkpoint = await dataSource.getRepository(ProjectionCheckpointRecord).findOneBy({ name });
  return checkpoint?.lastSeq ?? 0;
}

/**
 * Reads the checkpoint inside the applying transaction and locks its row until commit, so a second
 * projector of the same name waits and then sees what the first applied.
 */
export async function lockCheckpoint(runner: QueryRunner, name: string): Promise<number> {
  const [row] = await rowsOf<{ last_seq: string }>(
    runner,
    `INSERT INTO projection_checkpoints (name, last_seq, updated_at) VALUES ($1, 0, now())
     ON CONFLICT (name) DO UPDATE SET name = excluded.name
     RETURNING last_seq`,
    [name],
  );
  return Number(row!.last_seq);
}

export async function saveCheckpoint(runner: QueryRunner, name: string, seq: number): Promise<void> {
  await runner.query(`UPDATE projection_checkpoints SET last_seq = $2, updated_at = now() WHERE name = $1`, [
    name,
    seq,
  ]);
}
