/** What a secret is replaced by, wherever it is found. */
export const REDACTED = '[REDACTED]';

/** What a reference back to an enclosing object is replaced by. */
const CIRCULAR = '[Circular]';

/**
 * Names whose value is a secret, compared without case and separators (`apiKey`, `api_key`,
 * `API-KEY` are one name). `credential` is deliberately absent: a batch config's `credential` holds
 * the NAME of an environment variable (`OPENAI_API_KEY_TEAM_B`), not a secret; `credentials` is one.
 * Counts such as `maxTokens` or `total_tokens` end in `tokens` and stay.
 */
const SECRET_NAMES = new Set([
  'auth',
  'authorization',
  'proxyauthorization',
  'cookie',
  'setcookie',
  'credentials',
]);
const SECRET_NAME_ENDING =
  /(?:password|passwd|passphrase|secrets?|token|ticket|signature|apikey|privatekey|secretkey|accesskey|accesskeyid|signingkey|encryptionkey)$/;
/**
 * An environment variable with a KEY, SECRET, TOKEN or PASSWORD word: `OPENAI_API_KEY`,
 * `OPENAI_API_KEY_TEAM_B`, `AUTH_JWT_SECRET`. Access key ids (`S3_ACCESS_KEY`, `accessKeyId`) are
 * identifiers rather than secrets, but they are redacted too: half a credential pair is still worth
 * hiding, and one rule for every `*_KEY` is easier to trust than a list of exceptions.
 */
const ENV_VAR_SECRET = /^(?:[A-Z0-9]+_)*(?:KEY|SECRET|TOKEN|PASSWORD|PASSWD)(?:_[A-Z0-9]+)*$/;

function isSecretName(name: string): boolean {
  const normalized = name.toLowerCase().replace(/[^a-z0-9]/g, '');
  return SECRET_NAMES.has(normalized) || SECRET_NAME_ENDING.test(normalized) || ENV_VAR_SECRET.test(name);
}

/** Nothing to hide: a missing secret, or a flag about one (`hasToken: false`), is worth logging. */
const holdsNoSecret = (value: unknown): boolean =>
  value === undefined || value === null || value === '' || typeof value === 'boolean';

/**
 * Every text rule below needs one of these, so most strings (ids, subjects, prose) skip the rules
 * after one scan.
 *
 * Each rule stays linear on a long string (a logged payload): a lookbehind lets a match start only
 * where a run of its characters starts, so no run is scanned once per character.
 */
const MAY_HOLD_SECRET = /[=@]|"\s*:|bearer|eyJ|sk-|AKIA|ASIA|gh[pousr]_|github_pat_|xox[abprs]-/i;

/**
 * The password of `scheme://user:password@host`. It runs up to the `@`, so a password with `/`,
 * `:` or `#` goes whole; a URL whose path holds an `@` loses a little more than its password. At
 * most 256 characters: a longer one is no password, and the bound keeps the rule linear.
 */
const URL_PASSWORD = /(?<![a-z0-9+.-])([a-z][a-z0-9+.-]*:\/\/[^\s:/?#]*:)[^\s@]{1,256}@/gi;
/** `"name": "value"`: JSON kept as text, such as a request body quoted in an error message. */
const JSON_STRING_PAIR = /("([\w.-]+)"\s*:\s*)"(?:[^"\\]|\\.)*"/g;
/** `name=`: query parameters (`?access_token=…`), `KEY=value` in text. */
const PARAMETER_NAME = /(?<![\w.-])([\w.-]+)=/g;
/** The value after it, up to the next parameter or the end of the word. */
const PARAMETER_VALUE = /[^\s&#"']+/y;
/**
 * An e-mail address, replaced whole. The local part is the usual `[\w.%+-]` so that a quote or an
 * `email=` before it stays; its last character may be any RFC 5322 one, so that an unusual address
 * (`x'y@…`) still loses its tail and domain rather than staying whole.
 */
const EMAIL = /(?<![\w.%+-])[\w.%+-]*[\w.!#$%&'*+/=?^`{|}~-]@[a-z0-9-]+(?:\.[a-z0-9-]+)*\.[a-z]{2,}/gi;
/** RFC 6750 `Bearer <token>`; the scheme stays. Eight characters at least, so "Bearer token" is prose. */
const BEARER_TOKEN = /\b(bearer\s+)[\w~+/.-]{8,}=*/gi;
/** A JWT: three base64url segments, the first a JSON header, so `eyJ` (`{"`); not inside a longer word. */
const JWT = /(?<![\w-])eyJ[\w-]+\.[\w-]+\.[\w-]*/g;
/** Keys with a well-known prefix: OpenAI and Anthropic (`sk-`, `sk-proj-`, `sk-ant-`), AWS access key ids, GitHub, Slack. */
const PREFIXED_KEY =
  /\b(?:sk-[\w-]{20,}|(?:AKIA|ASIA)[A-Z0-9]{16}|gh[pousr]_[A-Za-z0-9]{20,}|github_pat_\w{20,}|xox[abprs]-[\w-]{10,})/g;

/**
 * Wider matches first, so that no rule redacts part of a secret a later one would take whole: a URL
 * password may hold `=`, `&` or quotes, an address's local part `sk-…` or a JWT.
 */
function redactText(text: string): string {
  if (!MAY_HOLD_SECRET.test(text)) return text;
  const withoutPairs = text
    .replace(URL_PASSWORD, `$1${REDACTED}@`)
    .replace(JSON_STRING_PAIR, (pair, prefix: string, name: string) =>
      isSecretName(name) ? `${prefix}"${REDACTED}"` : pair,
    );
  return redactParameters(withoutPairs)
    .replace(EMAIL, REDACTED)
    .replace(BEARER_TOKEN, `$1${REDACTED}`)
    .replace(JWT, REDACTED)
    .replace(PREFIXED_KEY, REDACTED);
}

/**
 * Only a secret parameter's value is skipped: any other value is searched too, as it may be a URL
 * with its own `?token=…`.
 */
function redactParameters(text: string): string {
  let redacted = '';
  let copiedUpTo = 0;
  for (const parameter of text.matchAll(PARAMETER_NAME)) {
    const valueStart = parameter.index + parameter[0].length;
    if (parameter.index < copiedUpTo || !isSecretName(parameter[1])) continue;
    PARAMETER_VALUE.lastIndex = valueStart;
    if (!PARAMETER_VALUE.test(text)) continue;
    redacted += text.slice(copiedUpTo, valueStart) + REDACTED;
    copiedUpTo = PARAMETER_VALUE.lastIndex;
  }
  return redacted + text.slice(copiedUpTo);
}

/** An Error as pino's err serializer prints it: type, message, stack, cause, then its own fields (`code`). */
function errorEntries(error: Error): [string, unknown][] {
  const entries: [string, unknown][] = [
    ['type', error.constructor.name],
    ['message', error.message],
    ['stack', error.stack],
  ];
  if (error.cause !== undefined) entries.push(['cause', error.cause]);
  return [...entries, ...Object.entries(error)];
}

function copyEntries(entries: [string, unknown][], ancestors: Set<object>): Record<string, unknown> {
  // fromEntries defines own properties, so a `__proto__` key stays a key.
  return Object.fromEntries(
    entries.map(([key, value]) => [
      key,
      isSecretName(key) && !holdsNoSecret(value) ? REDACTED : copy(value, ancestors),
    ]),
  );
}

function copyObject(value: object, ancestors: Set<object>): unknown {
  if (Array.isArray(value)) return value.map((item) => copy(item, ancestors));
  if (value instanceof Error) return copyEntries(errorEntries(value), ancestors);
  // What JSON would print (a URL object's href, for one), redacted.
  const { toJSON } = value as { toJSON?: unknown };
  if (typeof toJSON === 'function') return copy(toJSON.call(value), ancestors);
  return copyEntries(Object.entries(value), ancestors);
}

/** `ancestors` holds the objects enclosing `value`: a repeated, non-circular reference is copied again. */
function copy(value: unknown, ancestors: Set<object>): unknown {
  if (typeof value === 'string') return redactText(value);
  if (typeof value !== 'object' || value === null) return value;
  if (ancestors.has(value)) return CIRCULAR;
  if (value instanceof Date) return new Date(value.getTime());
  // Bytes are not text to search, and a payload is not worth copying in a log hook.
  if (ArrayBuffer.isView(value) || value instanceof ArrayBuffer) return value;
  ancestors.add(value);
  const copied = copyObject(value, ancestors);
  ancestors.delete(value);
  return copied;
}

/**
 * A copy of `value` fit for a log: secrets under a secret's name (`password`, `apiKey`,
 * `OPENAI_API_KEY`...) and secrets inside any string (bearer tokens, JWTs, `sk-`/AKIA/GitHub/Slack
 * keys, URL passwords, `token=` parameters, e-mail addresses) become REDACTED. The input is never
 * changed. JSON-like values keep their shape; Errors become plain objects as pino prints them
 * (`{type, message, stack, ...}`), other objects their own enumerable properties (or their toJSON),
 * a reference back to an enclosing object `'[Circular]'`. Dates are copied, bytes (Buffer, typed
 * arrays) returned as they are, and other values (numbers, bigints, null, undefined) kept.
 */
export function redact<T>(value: T): T {
  return copy(value, new Set()) as T;
}
