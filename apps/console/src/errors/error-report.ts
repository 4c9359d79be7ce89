import type { ErrorDetails } from './error-details';
import { sanitizeText } from './sanitize';

/** What "Copy" puts on the clipboard (seed 004): `{errorId, message, name, code, stack, timestamp}`. */
export function copyPayloadOf(details: ErrorDetails): string {
  return sanitizeText(
    JSON.stringify(
      {
        errorId: details.errorId,
        message: details.technicalMessage || details.userMessage,
        name: details.name,
        code: details.code,
        stack: details.stack,
        timestamp: details.occurredAt,
      },
      null,
      2,
    ),
  );
}

export function reportSubjectOf(details: ErrorDetails): string {
  return `Error Report: ${details.name}`;
}

export function reportBodyOf(details: ErrorDetails): string {
  return sanitizeText(
    [
      `Error ID: ${details.errorId ?? 'N/A'}`,
      `Code: ${details.code}`,
      `When: ${details.occurredAt}`,
      details.context.batchId ? `Batch: ${details.context.batchId}` : '',
      details.context.itemId ? `Item: ${details.context.itemId}` : '',
      '',
      `Error: ${details.technicalMessage || details.userMessage}`,
      '',
      details.stack ? `Stack Trace:\n${details.stack}\n` : '',
      'Please describe what you were doing when this error occurred:',
      '',
    ]
      .filter((line, index, lines) => line !== '' || lines[index - 1] !== '')
      .join('\n'),
  );
}

/** A mailto link with the report pre-filled (bodies are cut: mail clients refuse very long links). */
export function reportMailto(email: string, details: ErrorDetails): string {
  const body = reportBodyOf(details).slice(0, 1800);
  return `mailto:${email}?subject=${encodeURIComponent(reportSubjectOf(details))}&body=${encodeURIComponent(body)}`;
}
