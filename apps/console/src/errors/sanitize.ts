/**
 * Redacts what must never be shown, copied or mailed: the gateway already redacts its details;
 * these rules cover the console's own errors (a request's headers, a token in a URL).
 */
const RULES: [RegExp, string][] = [
  [/\beyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*/g, '[REDACTED_JWT]'],
  [/\b(Bearer|Basic)\s+[A-Za-z0-9._~+/=-]{8,}/gi, '$1 [REDACTED]'],
  [/\b(sk|pk|rk)-[A-Za-z0-9_-]{10,}/g, '[REDACTED_KEY]'],
  [/([?&](?:token|key|api_key|apikey|access_token|ticket)=)[^&\s"']+/gi, '$1[REDACTED]'],
  [
    /("?(?:password|passwd|secret|api[_-]?key|apikey|authorization|token|access[_-]?token|refresh[_-]?token)"?\s*[:=]\s*)("[^"]*"|'[^']*'|[^\s,}]+)/gi,
    '$1"[REDACTED]"',
  ],
  [/\b[a-z][a-z0-9+.-]*:\/\/[^/\s:@]+:[^@\s/]+@/gi, '[REDACTED_URL_CREDENTIALS]@'],
  [/[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}/g, '[REDACTED_EMAIL]'],
];

export function sanitizeText(text: string): string {
  return RULES.reduce((result, [pattern, replacement]) => result.replace(pattern, replacement), text);
}

/** A value as indented JSON, sanitized. */
export function sanitizedJson(value: unknown): string {
  return sanitizeText(JSON.stringify(value, null, 2) ?? '');
}
