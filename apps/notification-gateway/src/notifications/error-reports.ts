import { Inject, Injectable } from '@nestjs/common';
import type { DataSource } from 'typeorm';
import type { ErrorDetailsView } from '@batch/contracts';
import { DATA_SOURCE } from '@batch/platform';

export type ErrorDetails = Omit<ErrorDetailsView, 'errorId' | 'occurrences'>;

/** The details of notified errors, owner-scoped, sanitized before they get here. */
@Injectable()
export class ErrorReports {
  constructor(@Inject(DATA_SOURCE) private readonly ds: DataSource) {}

  /** Stores an error's details; the same id again (a fact translated twice) changes nothing. */
  async insert(errorId: string, userId: string, details: ErrorDetails, occurrences: number): Promise<void> {
    await this.ds.query(
      `INSERT INTO error_reports (error_id, user_id, details, occurrences, occurred_at)
       VALUES ($1, $2, $3, $4, $5) ON CONFLICT (error_id) DO NOTHING`,
      [errorId, userId, JSON.stringify(details), occurrences, details.occurredAt],
    );
  }

  async addOccurrences(errorId: string, count: number): Promise<void> {
    await this.ds.query(`UPDATE error_reports SET occurrences = occurrences + $2 WHERE error_id = $1`, [
      errorId,
      count,
    ]);
  }

  async find(userId: string, errorId: string): Promise<ErrorDetailsView | undefined> {
    const rows: { details: ErrorDetails; occurrences: number }[] = await this.ds.query(
      `SELECT details, occurrences FROM error_reports WHERE error_id = $1 AND user_id = $2`,
      [errorId, userId],
    );
    const row = rows[0];
    return row && { errorId, ...row.details, occurrences: row.occurrences };
  }

  /** Deletes reports older than the retention; answers how many. */
  async sweep(retentionDays: number): Promise<number> {
    const [, count]: [unknown, number] = await this.ds.query(
      `DELETE FROM error_reports WHERE created_at < now() - make_interval(days => $1)`,
      [retentionDays],
    );
    return count;
  }
}
