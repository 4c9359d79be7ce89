import type { QueryRunner } from 'typeorm';
import { z } from 'zod';
import { BatchEvent, issuesOf, storableJson, storableText } from '@batch/contracts';
import type { DataSource } from 'typeorm';

/** A commit that is not a JSON array of events: nothing in it can be applied. */
export class MalformedCommitError extends Error {
  constructor(seq: number) {
    super(`the commit at sequence ${seq} is not a JSON array of events`);
    this.name = 'MalformedCommitError';
  }
}

/**
 * PostgreSQL refused the data itself, whatever the connection: SQLSTATE classes 22 (data exception:
 * NUL, bad JSON escapes, out of range), 23 (integrity constraint) and 54 (program limit, e.g. JSON
 * nested too deep). Applying the same commit again can never succeed.
 */
const REFUSED_DATA = /^(22|23|54)/;

export function isRefusedData(error: unknown): boolean {
  if (error instanceof MalformedCommitError) return true;
  const code = (error as { code?: unknown } | undefined)?.code;
  return typeof code === 'string' && REFUSED_DATA.test(code);
}

const Commit = z.array(BatchEvent).min(1);

/** Why a commit's events cannot be applied as events at all, or undefined when they match their schemas. */
export function malformation(events: unknown): string | undefined {
  const result = Commit.safeParse(events);
  if (result.success) return undefined;
  return issuesOf(result.error)
    .slice(0, 5)
    .map((issue) => `${issue.field}: ${issue.message}`)
    .join('; ');
}

/** A commit a projection could not apply, kept byte for byte for an operator to look at. */
export interface SetAside {
  projection: string;
  seq: number;
  subject: string;
  error: string;
  payload: Uint8Array;
}

export async function recordSetAside(runner: QueryRunner, setAside: SetAside): Promise<void> {
  await runner.query(
    `INSERT INTO projection_set_aside (projection, seq, subject, error, payload, set_aside_at)
     VALUES ($1, $2, $3, $4, $5, now())
     ON CONFLICT (projection, seq) DO NOTHING`,
    [
      setAside.projection,
      setAside.seq,
      setAside.subject,
      storableText(setAside.error),
      Buffer.from(setAside.payload),
    ],
  );
}

/** How many commits each projection has set aside: the operator's metric. */
export async function countSetAside(dataSource: DataSource): Promise<Map<string, number>> {
  const rows: { projection: string; count: string }[] = await dataSource.query(
    `SELECT projection, count(*) AS count FROM projection_set_aside GROUP BY projection`,
  );
  return new Map(rows.map((row) => [row.projection, Number(row.count)]));
}

/** What became of one commit applied on its own. */
export type CommitVerdict =
  | { kind: 'applied' }
  /** PostgreSQL refused some text as it was: stored with those characters replaced (U+FFFD). */
  | { kind: 'replaced'; reason: string }
  | { kind: 'set-aside'; reason: string };

export interface LoneCommit {
  seq: number;
  subject: string;
  payload: Uint8Array;
  /** Its events as decoded, or undefined when the payload is not JSON. */
  events?: unknown;
}

/**
 * Applies one commit inside the caller's transaction, trying in turn: as it is; with the text
 * PostgreSQL refuses replaced; not at all, recording it as set aside. Only refused data moves it
 * down that list: any other failure (a lost connection) is thrown, and the caller retries later.
 */
export async function applyOrSetAside(
  runner: QueryRunner,
  projection: string,
  commit: LoneCommit,
  project: (events: BatchEvent[]) => Promise<void>,
): Promise<CommitVerdict> {
  const setAside = async (reason: string): Promise<CommitVerdict> => {
    await recordSetAside(runner, { projection, ...commit, error: reason });
    return { kind: 'set-aside', reason };
  };
  const wrongShape = commit.events === undefined ? 'not JSON' : malformation(commit.events);
  if (wrongShape !== undefined) return setAside(`malformed commit: ${wrongShape}`);
  const events = commit.events as BatchEvent[];
  const attempt = async (what: BatchEvent[]): Promise<unknown> => {
    await runner.query('SAVEPOINT lone_commit');
    try {
      await project(what);
      await runner.query('RELEASE SAVEPOINT lone_commit');
      return undefined;
    } catch (error) {
      if (!isRefusedData(error)) throw error;
      await runner.query('ROLLBACK TO SAVEPOINT lone_commit');
      return error;
    }
  };
  const refused = await attempt(events);
  if (refused === undefined) return { kind: 'applied' };
  const reason = `PostgreSQL refused it: ${(refused as Error).message}`;
  const refusedAgain = await attempt(storableJson(events));
  if (refusedAgain === undefined) return { kind: 'replaced', reason };
  return setAside(
    `PostgreSQL refused it, also with unstorable text replaced: ${(refusedAgain as Error).message}`,
  );
}
