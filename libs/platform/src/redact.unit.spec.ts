import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { redact, REDACTED } from './redact.js';

const RUNS = { numRuns: 200 };

/** What a logger prints: JSON, with bigints as text. */
const printed = (value: unknown): string =>
  JSON.stringify(value, (_key, item: unknown) => (typeof item === 'bigint' ? `${item}` : item));
/** Whether `secret` appears in the printed value, escaped as JSON would escape it. */
const shows = (value: unknown, secret: string): boolean =>
  printed(value).includes(JSON.stringify(secret).slice(1, -1));

// Ordinary values: nothing in them is a secret, and none can contain a planted one by chance
// (planted secrets are random, at least eight characters long, most with an upper-case letter).
const prose = fc.stringMatching(/^[a-z0-9 .,:!?()]{0,24}$/);
const ordinaryText = fc.oneof(
  prose,
  fc.ulid(),
  fc.nat().map((n) => `item-${n}`),
  fc.ulid().map((batchId) => `batch.${batchId}.items`),
  fc.stringMatching(/^[0-9a-f]{64}$/),
  fc.constantFrom(
    'token expired',
    'missing Bearer token',
    'http://127.0.0.1:4222',
    'nats://127.0.0.1:4222',
    'https://api.openai.com/v1/chat/completions?page=2&limit=50',
    'postgres://batch@localhost:5432/batch',
    'OPENAI_API_KEY_TEAM_B',
    'maxTokens=4096',
    'lodash@4.17.21',
  ),
);
/** Names that hold no secret, some of them close to one. */
const ordinaryKey = fc.constantFrom(
  'batchId',
  'itemId',
  'subject',
  'status',
  'message',
  'credential',
  'maxTokens',
  'tokensPerMinute',
  'total_tokens',
  'idempotencyKey',
  'objectKey',
  'key',
  'author',
  'digest',
  'url',
);
const ordinaryLeaf = fc.oneof(
  ordinaryText,
  fc.integer(),
  fc.double(),
  fc.bigInt(),
  fc.boolean(),
  fc.constantFrom(null, undefined),
);
const ordinaryObject = <T>(values: fc.Arbitrary<T>) =>
  fc.dictionary(ordinaryKey, values, { maxKeys: 4, noNullPrototype: true });
const ordinaryValue: fc.Arbitrary<unknown> = fc.letrec<{ value: unknown }>((tie) => ({
  value: fc.oneof(
    { maxDepth: 3 },
    ordinaryLeaf,
    fc.array(tie('value'), { maxLength: 4 }),
    ordinaryObject(tie('value')),
  ),
})).value;

/** An ordinary value with `planted` at one random place: the whole, a value in an object, an array element. */
const somewhereIn = (planted: unknown): fc.Arbitrary<unknown> =>
  fc.letrec<{ tree: unknown }>((tie) => ({
    tree: fc.oneof(
      { maxDepth: 4 },
      fc.constant(planted),
      fc
        .tuple(
          fc.array(ordinaryValue, { maxLength: 3 }),
          tie('tree'),
          fc.array(ordinaryValue, { maxLength: 3 }),
        )
        .map(([before, tree, after]) => [...before, tree, ...after]),
      fc
        .tuple(ordinaryObject(ordinaryValue), ordinaryKey, tie('tree'))
        .map(([object, key, tree]) => ({ ...object, [key]: tree })),
    ),
  })).tree;

/** `text` goes into a string; `secret`, the part of it that is secret, must not come out. */
interface SecretText {
  text: string;
  secret: string;
}
const itself = (text: string): SecretText => ({ text, secret: text });

const base64url = (json: unknown) => Buffer.from(JSON.stringify(json)).toString('base64url');
const jwt = fc
  .record({
    alg: fc.constantFrom('HS256', 'RS256', 'EdDSA'),
    sub: fc.string(),
    exp: fc.nat(),
    signature: fc.uint8Array({ minLength: 16, maxLength: 64 }),
  })
  .map(({ alg, sub, exp, signature }) =>
    itself(
      `${base64url({ alg, typ: 'JWT' })}.${base64url({ sub, exp })}.${Buffer.from(signature).toString('base64url')}`,
    ),
  );
const prefixedKey = fc
  .oneof(
    fc
      .tuple(fc.constantFrom('sk-', 'sk-proj-', 'sk-ant-api03-'), fc.stringMatching(/^[A-Za-z0-9_-]{20,80}$/))
      .map(([prefix, rest]) => prefix + rest),
    fc.stringMatching(/^AKIA[A-Z0-9]{16}$/),
    fc.stringMatching(/^ghp_[A-Za-z0-9]{36}$/),
    fc.stringMatching(/^github_pat_[A-Za-z0-9_]{22,82}$/),
    fc.stringMatching(/^xox[bap]-[0-9]{10,13}-[A-Za-z0-9-]{10,40}$/),
  )
  .map(itself);
const bearerToken = fc
  .stringMatching(/^[A-Za-z0-9._~+/-]{16,64}={0,2}$/)
  .map((token) => ({ text: `Bearer ${token}`, secret: token }));
const urlPassword = fc
  .record({
    scheme: fc.constantFrom('postgres', 'mysql', 'redis', 'amqp', 'https', 'mongodb+srv'),
    user: fc.stringMatching(/^[a-z][a-z0-9_]{0,11}$/),
    password: fc.stringMatching(/^[A-Z][A-Za-z0-9!$&'()*+,;=:%~._/?#-]{7,31}$/),
    host: fc.constantFrom('localhost', '127.0.0.1:5432', 'db.internal.example.com'),
  })
  .map(({ scheme, user, password, host }) => ({
    text: `${scheme}://${user}:${password}@${host}/batch`,
    secret: password,
  }));
const emailAddress = fc.emailAddress().map(itself);
const secretParameter = fc
  .record({
    name: fc.constantFrom(
      'token',
      'access_token',
      'refresh_token',
      'api_key',
      'apiKey',
      'password',
      'client_secret',
      'X-Amz-Signature',
      'ticket',
      'AUTH_JWT_SECRET',
    ),
    value: fc.stringMatching(/^[A-Z][A-Za-z0-9%._~-]{7,40}$/),
    inUrl: fc.boolean(),
  })
  .map(({ name, value, inUrl }) => ({
    text: inUrl ? `https://api.example.com/v1/items?page=2&${name}=${value}&limit=50` : `${name}=${value}`,
    secret: value,
  }));

/** Secret text alone, in the middle of a sentence, or in an Error's message (and so its stack). */
const inAString = (secrets: fc.Arbitrary<SecretText>) =>
  fc
    .record({
      planted: secrets,
      before: prose,
      after: prose,
      container: fc.constantFrom('alone', 'sentence', 'error'),
    })
    .map(({ planted: { text, secret }, before, after, container }) => {
      const sentence = `${before} ${text} ${after}`;
      const leaf = container === 'alone' ? text : container === 'sentence' ? sentence : new Error(sentence);
      return { leaf, secret };
    });

const secretNames = [
  'password',
  'passwd',
  'secret',
  'token',
  'access_token',
  'refreshToken',
  'apiKey',
  'api_key',
  'X-Api-Key',
  'authorization',
  'Cookie',
  'set-cookie',
  'private_key',
  'clientSecret',
  'credentials',
  'OPENAI_API_KEY',
  'OPENAI_API_KEY_TEAM_B',
  'AUTH_JWT_SECRET',
  'S3_SECRET_KEY',
  'S3_ACCESS_KEY',
  'secretAccessKey',
];
const underASecretName = fc
  .record({
    object: ordinaryObject(ordinaryValue),
    name: fc.constantFrom(...secretNames),
    value: fc.stringMatching(/^[A-Z][ -~]{7,40}$/),
  })
  .map(({ object, name, value }) => ({ leaf: { ...object, [name]: value }, secret: value }));

const planted = (secrets: fc.Arbitrary<{ leaf: unknown; secret: string }>) =>
  secrets.chain(({ leaf, secret }) => somewhereIn(leaf).map((value) => ({ value, secret })));

const anySecret = fc.oneof(
  inAString(jwt),
  inAString(prefixedKey),
  inAString(bearerToken),
  inAString(urlPassword),
  inAString(emailAddress),
  inAString(secretParameter),
  underASecretName,
);

describe('redact, for any value', () => {
  it.each([
    ['a JWT', inAString(jwt)],
    ['an API key with a well-known prefix', inAString(prefixedKey)],
    ['a bearer token', inAString(bearerToken)],
    ['the password of a URL', inAString(urlPassword)],
    ['an e-mail address', inAString(emailAddress)],
    ['a secret query parameter', inAString(secretParameter)],
    ['the value of a secret name', underASecretName],
  ])('removes %s planted anywhere', (_kind, secrets) =>
    fc.assert(
      fc.property(planted(secrets), ({ value, secret }) => {
        expect(shows(redact(value), secret)).toBe(false);
      }),
      RUNS,
    ),
  );

  it('leaves a value without secrets as it is', () =>
    fc.assert(
      fc.property(ordinaryValue, (value) => {
        expect(redact(value)).toStrictEqual(value);
      }),
      RUNS,
    ));

  it('never changes its input', () =>
    fc.assert(
      fc.property(planted(anySecret), ({ value }) => {
        const before = structuredClone(value);
        redact(value);
        expect(value).toStrictEqual(before);
      }),
      RUNS,
    ));

  it('has nothing left to redact in its own output', () =>
    fc.assert(
      fc.property(planted(anySecret), ({ value }) => {
        const once = redact(value);
        expect(redact(once)).toStrictEqual(once);
      }),
      RUNS,
    ));

  it('replaces a reference back to an enclosing object by [Circular]', () =>
    fc.assert(
      fc.property(ordinaryObject(ordinaryValue), (object) => {
        const root: Record<string, unknown> = { ...object };
        root.self = root;
        root.children = [{ parent: root }];
        expect(redact(root)).toStrictEqual({
          ...object,
          self: '[Circular]',
          children: [{ parent: '[Circular]' }],
        });
      }),
      RUNS,
    ));
});

describe('on a long string', () => {
  it.each(['a', 'a.', 'eyJ-', 'a://', 'a=', 'token=', '"a":"', 'x@a.'])(
    'stays linear: %j repeated over 100 KB',
    (pattern) => {
      const text = `x@${pattern.repeat(100_000 / pattern.length)} =@`;
      const started = performance.now();
      redact(text);
      expect(performance.now() - started).toBeLessThan(500);
    },
  );
});

describe('by name', () => {
  it.each(secretNames)('redacts the value of %s', (name) =>
    expect(redact({ batchId: 'b-1', [name]: 'hunter2' })).toEqual({ batchId: 'b-1', [name]: REDACTED }),
  );

  it.each([
    ['credential', 'OPENAI_API_KEY_TEAM_B'],
    ['maxTokens', 4096],
    ['tokensPerMinute', 90_000],
    ['MAX_TOKENS', 4096],
    ['idempotencyKey', '01JABCDEFGHJKMNPQRSTVWXYZ0'],
    ['key', 'outputs/batch-1.jsonl'],
    ['author', 'alice'],
  ])('keeps %s', (name, value) => expect(redact({ [name]: value })).toEqual({ [name]: value }));

  it('redacts a whole object or array under a secret name', () =>
    expect(
      redact({
        credentials: { accessKeyId: 'minio', secretAccessKey: 'minio123' },
        headers: { 'Set-Cookie': ['session=abc', 'csrf=def'], accept: 'application/json' },
      }),
    ).toEqual({
      credentials: REDACTED,
      headers: { 'Set-Cookie': REDACTED, accept: 'application/json' },
    }));

  it('keeps a missing secret and a flag about one', () =>
    expect(redact({ token: null, password: '', apiKey: undefined, hasToken: false })).toStrictEqual({
      token: null,
      password: '',
      apiKey: undefined,
      hasToken: false,
    }));
});

describe('in text', () => {
  const jwtExample =
    'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ1c2VyLTEifQ.7uR5e8kYQm3u2nq7mM6xw9c4rYkZ0nH1qZb8PfXQm1E';

  it.each([
    ['Authorization: Bearer abc.DEF-123_xyz', `Authorization: Bearer ${REDACTED}`],
    [`session ${jwtExample} expired`, `session ${REDACTED} expired`],
    ['key sk-abcdefghijklmnopqrstuvwxyz123456 refused', `key ${REDACTED} refused`],
    ['sk-proj-AbC123_dEf456-GhI789jKl012MnO345', REDACTED],
    ['sk-ant-api03-AbC123dEf456GhI789jKl012MnO345', REDACTED],
    ['aws AKIAIOSFODNN7EXAMPLE', `aws ${REDACTED}`],
    ['ghp_abcdefghijklmnopqrstuvwxyz0123456789', REDACTED],
    ['github_pat_11ABCDEFG0123456789_abcdefghijklmnop', REDACTED],
    ['xoxb-1234567890-1234567890123-AbCdEfGhIjKlMnOpQrStUvWx', REDACTED],
    [
      'connecting to postgres://batch:s3cr3t@db:5432/batch',
      `connecting to postgres://batch:${REDACTED}@db:5432/batch`,
    ],
    ['redis://:p/ss:w#rd@cache:6379', `redis://:${REDACTED}@cache:6379`],
    [
      'GET /callback?code=1&access_token=abc123&state=x',
      `GET /callback?code=1&access_token=${REDACTED}&state=x`,
    ],
    ['https://api.example.com/v1?api_key=abc123', `https://api.example.com/v1?api_key=${REDACTED}`],
    ['redirect=https://app/cb?token=abc123', `redirect=https://app/cb?token=${REDACTED}`],
    ['AUTH_JWT_SECRET=change-me PORT=3000', `AUTH_JWT_SECRET=${REDACTED} PORT=3000`],
    ['400: {"model":"gpt-4o","api_key":"abc\\"123"}', `400: {"model":"gpt-4o","api_key":"${REDACTED}"}`],
    ['no user a.b+c@example.com', `no user ${REDACTED}`],
    ["invited 'o.brien@mail.example.org'", `invited '${REDACTED}'`],
  ])('redacts %j', (text, expected) => expect(redact(text)).toBe(expected));

  it.each([
    '01JABCDEFGHJKMNPQRSTVWXYZ0',
    'item-1',
    'batch.01JABCDEFGHJKMNPQRSTVWXYZ0.items',
    'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
    'token expired',
    'missing Bearer token',
    'http://127.0.0.1:4222',
    'nats://127.0.0.1:4222',
    'https://api.openai.com/v1/chat/completions',
    'postgres://batch@localhost:5432/batch',
    'OPENAI_API_KEY_TEAM_B',
    'maxTokens=4096',
    '{"maxTokens":4096,"model":"gpt-4o"}',
    'lodash@4.17.21',
    'scikit sk-learn',
  ])('keeps %j', (text) => expect(redact(text)).toBe(text));
});

describe('errors', () => {
  class ProviderError extends Error {
    constructor(
      message: string,
      readonly status: number,
    ) {
      super(message);
    }
  }

  it('become plain objects as pino prints them, message and stack redacted', () => {
    const printedError = redact(new ProviderError('call with Bearer abcdefgh12345678 failed', 401));
    expect(printedError).toEqual({
      type: 'ProviderError',
      message: `call with Bearer ${REDACTED} failed`,
      stack: expect.stringContaining(`call with Bearer ${REDACTED} failed`),
      status: 401,
    });
    expect(shows(printedError, 'abcdefgh12345678')).toBe(false);
  });

  it('keep their cause, redacted', () => {
    const error = new Error('query failed', { cause: new Error('no route to postgres://u:pw1234@db/x') });
    expect(redact({ err: error })).toMatchObject({
      err: { message: 'query failed', cause: { message: `no route to postgres://u:${REDACTED}@db/x` } },
    });
  });

  it('lose the secrets among their own fields', () => {
    const error = Object.assign(new Error('401'), { config: { headers: { Authorization: 'Basic dTpw' } } });
    expect(redact(error)).toMatchObject({ config: { headers: { Authorization: REDACTED } } });
  });
});

describe('other values', () => {
  it.each([42, -0, NaN, 10n, true, null, undefined])('keeps %p', (value) =>
    expect(redact(value)).toBe(value),
  );

  it('copies dates', () => {
    const at = new Date('2026-11-23T10:00:00.000Z');
    const copied = redact({ at }).at;
    expect(copied).toEqual(at);
    expect(copied).not.toBe(at);
  });

  it('returns bytes as they are', () => {
    const bytes = { buffer: Buffer.from('password=x'), array: new Uint8Array([1, 2, 3]) };
    const copied = redact(bytes);
    expect(copied.buffer).toBe(bytes.buffer);
    expect(copied.array).toBe(bytes.array);
  });

  it('redacts what JSON would print of an object with toJSON', () =>
    expect(redact({ url: new URL('postgres://batch:pw1234@db/batch') })).toEqual({
      url: `postgres://batch:${REDACTED}@db/batch`,
    }));

  it('copies a shared reference that is not circular', () => {
    const shared = { itemId: 'item-1' };
    expect(redact({ first: shared, second: shared })).toEqual({ first: shared, second: shared });
  });
});
