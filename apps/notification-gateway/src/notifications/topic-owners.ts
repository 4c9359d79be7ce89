import { Inject, Injectable } from '@nestjs/common';
import type { DataSource } from 'typeorm';
import { DATA_SOURCE } from '@batch/platform';
import { BatchesService } from '../batches/batches.service.js';
import { ApiError } from '../http/api-error.js';

/** The read model a topic's resource is found in, by the topic's kind. */
const OWNER_QUERIES: Record<string, string> = {
  backup: `SELECT 1 FROM backup_exports WHERE backup_id = $1 AND user_id = $2`,
  restore: `SELECT 1 FROM restores WHERE restore_id = $1 AND user_id = $2`,
  operation: `SELECT 1 FROM delete_operations WHERE operation_id = $1 AND user_id = $2`,
};

/** Which topics a user may subscribe to: `user`, and their own batches, backups, restores and operations. */
@Injectable()
export class TopicOwners {
  constructor(
    @Inject(DATA_SOURCE) private readonly ds: DataSource,
    private readonly batches: BatchesService,
  ) {}

  /** The topics of `topics` that are not the user's (unknown, or another user's: the same answer). */
  async notOwned(userId: string, topics: readonly string[]): Promise<string[]> {
    const owned = await Promise.all(topics.map((topic) => this.owns(userId, topic)));
    return topics.filter((_, index) => !owned[index]);
  }

  private async owns(userId: string, topic: string): Promise<boolean> {
    if (topic === 'user') return true;
    const separator = topic.indexOf(':');
    const id = topic.slice(separator + 1);
    // Asked of the orchestrator, which knows a batch created a moment ago before its read model does.
    if (topic.startsWith('batch:'))
      return this.batches.get(userId, id).then(
        () => true,
        (error: unknown) => {
          if (error instanceof ApiError && error.code === 'not_found') return false;
          throw error;
        },
      );
    const query = OWNER_QUERIES[topic.slice(0, separator)];
    if (!query) return false;
    const rows: unknown[] = await this.ds.query(query, [id, userId]);
    return rows.length > 0;
  }
}
