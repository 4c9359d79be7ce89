/** Levels as pino names them, most verbose first. */
export const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** One output line of a supervised process: its level when it has one, and the text to print. */
export interface LogLine {
  level?: LogLevel;
  text: string;
}

export type ReadLine = (line: string) => LogLine;

/** Lines without a level (a crash's stack trace, a stray console.log) always show. */
export const shows = (line: LogLine, lowest: LogLevel): boolean =>
  line.level === undefined || LOG_LEVELS.indexOf(line.level) >= LOG_LEVELS.indexOf(lowest);

const PINO_LEVELS: Record<number, LogLevel> = {
  10: 'trace',
  20: 'debug',
  30: 'info',
  40: 'warn',
  50: 'error',
  60: 'fatal',
};

interface PinoRecord {
  level: number;
  msg?: string;
  err?: { message?: string; stack?: string };
  [field: string]: unknown;
}

const isPinoRecord = (value: unknown): value is PinoRecord =>
  typeof value === 'object' && value !== null && typeof (value as PinoRecord).level === 'number';

/** A pino JSON line as `level msg key=value ...`, an error's stack below it; anything else as it is. */
export const pinoLine: ReadLine = (line) => {
  let record: unknown;
  try {
    record = JSON.parse(line);
  } catch {
    return { text: line };
  }
  if (!isPinoRecord(record)) return { text: line };
  // time, pid, hostname and name repeat on every line and the prefix already names the service.
  const { level, msg, err, time, pid, hostname, name, ...fields } = record;
  const label = PINO_LEVELS[level] ?? 'info';
  const details = Object.entries(fields).map(([key, value]) => `${key}=${JSON.stringify(value)}`);
  const text = [label, msg ?? '', ...details].filter(Boolean).join(' ');
  const error = err?.stack ?? err?.message;
  return { level: label, text: error ? `${text}\n  ${error.replaceAll('\n', '\n  ')}` : text };
};

const NATS_LEVELS: Record<string, LogLevel> = {
  TRC: 'trace',
  DBG: 'debug',
  INF: 'info',
  WRN: 'warn',
  ERR: 'error',
  FTL: 'fatal',
};

/** `[pid] 2024/01/02 03:04:05.678901 [INF] Server is ready` */
export const natsServerLine: ReadLine = (line) => {
  const match = /\[(TRC|DBG|INF|WRN|ERR|FTL)\] (.*)$/.exec(line);
  return match ? { level: NATS_LEVELS[match[1]], text: match[2] } : { text: line };
};

const POSTGRES_LEVELS: Record<string, LogLevel> = {
  DEBUG: 'debug',
  LOG: 'info',
  INFO: 'info',
  NOTICE: 'info',
  WARNING: 'warn',
  // These follow the message they explain, usually an error.
  DETAIL: 'warn',
  HINT: 'warn',
  CONTEXT: 'warn',
  STATEMENT: 'warn',
  ERROR: 'error',
  FATAL: 'fatal',
  PANIC: 'fatal',
};

/** `2024-01-02 03:04:05.678 UTC [123] LOG:  database system is ready to accept connections` */
export const postgresLine: ReadLine = (line) => {
  const match =
    /\b(DEBUG|LOG|INFO|NOTICE|WARNING|DETAIL|HINT|CONTEXT|STATEMENT|ERROR|FATAL|PANIC)\d?:\s+(.*)$/.exec(
      line,
    );
  return match ? { level: POSTGRES_LEVELS[match[1]], text: `${match[1]}: ${match[2]}` } : { text: line };
};
