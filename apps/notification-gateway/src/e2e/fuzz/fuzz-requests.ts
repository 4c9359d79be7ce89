import fc from 'fast-check';

/** The parts of an OpenAPI 3.1 document the fuzzer reads. */
type JsonSchema = {
  type?: string | string[];
  enum?: unknown[];
  const?: unknown;
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
  properties?: Record<string, JsonSchema>;
  required?: string[];
  additionalProperties?: boolean | JsonSchema;
  items?: JsonSchema;
  minItems?: number;
  maxItems?: number;
  minLength?: number;
  maxLength?: number;
  pattern?: string;
  format?: string;
  minimum?: number;
  maximum?: number;
};

interface Operation {
  parameters?: { name: string; in: 'path' | 'query'; schema: JsonSchema }[];
  requestBody?: { content: Record<string, { schema: JsonSchema }> };
}

export interface OpenApiDocument {
  paths: Record<string, Record<string, Operation>>;
}

/** Who asks: a user with batches, another user, or someone without a usable token. */
export type Caller = 'owner' | 'stranger' | 'none' | 'garbage' | 'expired' | 'nul-subject' | 'long-subject';

export interface FuzzRequest {
  method: string;
  /** The route as the document names it, for the report. */
  route: string;
  path: string;
  caller: Caller;
  /** An object sent as JSON, or raw text (malformed or too deep for JSON.stringify). */
  body?: unknown;
  raw?: string;
}

/** Ids a path may name: the owner's batches, the stranger's, and ids that name nothing. */
export interface KnownIds {
  owner: string[];
  stranger: string[];
}

/** Values no schema expects: control characters, unpaired surrogates, huge and odd numbers, other types. */
const hostileString = fc.oneof(
  fc.constantFrom(
    '',
    '\u0000',
    'a\u0000b',
    '\ud800',
    'x\udc00y',
    '\u0001\u001f\u007f',
    '\u202e\u2066',
    '../../etc/passwd',
    '%00',
    "'; DROP TABLE batches; --",
    '<script>alert(1)</script>',
    'x'.repeat(70_000),
  ),
  fc.string({ unit: 'binary', maxLength: 40 }),
);
const hostileNumber = fc.constantFrom(-1, 0.5, 2 ** 31, 2 ** 53 + 2, 1e308, -1e308, Number.MAX_SAFE_INTEGER);
const hostileValue: fc.Arbitrary<unknown> = fc.oneof(
  hostileString,
  hostileNumber,
  fc.constantFrom(null, true, [], {}, [[[]]]),
  fc.anything({ maxDepth: 2, maxKeys: 3, withNullPrototype: true }),
);

/** A value the schema accepts (or nearly: patterns and formats are kept simple). */
export function validValue(schema: JsonSchema): fc.Arbitrary<unknown> {
  if (schema.const !== undefined) return fc.constant(schema.const);
  if (schema.enum) return fc.constantFrom(...schema.enum);
  const alternatives = schema.anyOf ?? schema.oneOf;
  if (alternatives) return fc.oneof(...alternatives.map(validValue));
  const type = Array.isArray(schema.type) ? schema.type[0] : schema.type;
  switch (type) {
    case 'object': {
      const properties = Object.fromEntries(
        Object.entries(schema.properties ?? {}).map(([key, property]) => [key, validValue(property)]),
      );
      return fc.record(properties, { requiredKeys: schema.required ?? [] });
    }
    case 'array':
      return fc.array(validValue(schema.items ?? {}), {
        minLength: schema.minItems ?? 0,
        maxLength: Math.max(schema.minItems ?? 0, Math.min(schema.maxItems ?? 3, 3)),
      });
    case 'string': {
      if (schema.format === 'uri') return fc.webUrl();
      if (schema.format === 'date-time')
        return fc.date({ noInvalidDate: true }).map((date) => date.toISOString());
      const length = { minLength: schema.minLength ?? 0, maxLength: Math.min(schema.maxLength ?? 24, 24) };
      return schema.pattern
        ? fc
            .stringMatching(new RegExp(schema.pattern))
            .filter((text) => text.length >= length.minLength && text.length <= 200)
        : fc.string(length);
    }
    case 'integer':
      return fc.integer({ min: schema.minimum ?? -1000, max: Math.min(schema.maximum ?? 1000, 1000) });
    case 'number':
      return fc.double({ min: schema.minimum ?? -1000, max: schema.maximum ?? 1000, noNaN: true });
    case 'boolean':
      return fc.boolean();
    default:
      return fc.jsonValue({ maxDepth: 2 });
  }
}

type Path = (string | number)[];

function pathsOf(value: unknown, path: Path = [], found: Path[] = []): Path[] {
  found.push(path);
  if (Array.isArray(value)) value.forEach((entry, index) => pathsOf(entry, [...path, index], found));
  else if (value !== null && typeof value === 'object')
    for (const [key, entry] of Object.entries(value)) pathsOf(entry, [...path, key], found);
  return found;
}

function replaceAt(value: unknown, path: Path, replacement: unknown | typeof REMOVE): unknown {
  if (path.length === 0) return replacement === REMOVE ? undefined : replacement;
  const [head, ...rest] = path;
  const copy = (Array.isArray(value) ? [...value] : { ...(value as object) }) as Record<
    string | number,
    unknown
  >;
  if (rest.length === 0 && replacement === REMOVE) delete copy[head!];
  else copy[head!] = replaceAt(copy[head!], rest, replacement);
  return copy;
}
const REMOVE = Symbol('remove');

/** A valid body made wrong in one place: a field replaced, removed or added with a hostile value. */
const mutated = (body: unknown): fc.Arbitrary<unknown> =>
  fc
    .record({
      at: fc.constantFrom(...pathsOf(body)),
      how: fc.constantFrom('replace', 'remove', 'add'),
      value: hostileValue,
      key: fc.oneof(
        fc.constantFrom('apiKey', 'extra', '__proto__', 'constructor', '\u0000'),
        fc.string({ maxLength: 8 }),
      ),
    })
    .map(({ at, how, value, key }) =>
      how === 'replace'
        ? replaceAt(body, at, value)
        : how === 'remove'
          ? replaceAt(body, at, REMOVE)
          : replaceAt(body, [...at, key], value),
    );

/** Bodies that are not JSON at all, or JSON no parser should have to descend into. */
const rawBodies = fc.constantFrom(
  '',
  '{',
  'null',
  '[]',
  '"just a string"',
  'not json at all',
  '{"items": [',
  `{"items":[{"id":"a","topic":"t","parameters":${'{"d":'.repeat(5_000)}1${'}'.repeat(5_000)}}]}`,
  `{"config":${'['.repeat(10_000)}${']'.repeat(10_000)}}`,
  `{"days_old":${'9'.repeat(400)}}`,
);

/** Every UTF-8 byte percent-encoded (encodeURIComponent throws on an unpaired surrogate). */
const percentEncoded = (text: string): string =>
  [...Buffer.from(text, 'utf8')].map((byte) => `%${byte.toString(16).padStart(2, '0')}`).join('');

const idFor = (known: KnownIds) =>
  fc.oneof(
    fc.constantFrom(...known.owner),
    fc.constantFrom(...known.stranger),
    fc.constantFrom('nope', 'a.b', '*', '>', 'x'.repeat(300), '%00', '%2e%2e', 'batch_%ZZ'),
    hostileString.map(percentEncoded),
  );

const cursorValue = fc.oneof(
  fc.string({ maxLength: 30 }),
  fc
    .oneof(
      fc.tuple(fc.integer()),
      fc.tuple(fc.constant(2 ** 31)),
      fc.tuple(
        fc.date({ noInvalidDate: true }).map((date) => date.toISOString()),
        hostileString,
      ),
      hostileValue,
    )
    .map((key) => Buffer.from(JSON.stringify(key) ?? 'null').toString('base64url')),
);

const queryValue = (name: string, schema: JsonSchema) =>
  name === 'cursor'
    ? cursorValue
    : fc.oneof(
        validValue(schema).map(String),
        fc.constantFrom('-1', '0', '1e400', 'abc', '', '%00', 'running,paused'),
      );

/** Every route of the document, with wrong and hostile values everywhere a request has one. */
export function fuzzRequests(document: OpenApiDocument, known: KnownIds): fc.Arbitrary<FuzzRequest> {
  const operations = Object.entries(document.paths).flatMap(([route, methods]) =>
    Object.entries(methods).map(([method, operation]) => ({
      route,
      method: method.toUpperCase(),
      operation,
    })),
  );
  const caller = fc.oneof(
    { weight: 12, arbitrary: fc.constant<Caller>('owner') },
    { weight: 3, arbitrary: fc.constant<Caller>('stranger') },
    {
      weight: 5,
      arbitrary: fc.constantFrom<Caller>('none', 'garbage', 'expired', 'nul-subject', 'long-subject'),
    },
  );
  return fc.constantFrom(...operations).chain(({ route, method, operation }) => {
    const parameters = operation.parameters ?? [];
    const query = parameters.filter((parameter) => parameter.in === 'query');
    const schema = operation.requestBody?.content['application/json']?.schema;
    const body = schema
      ? fc.oneof(
          { weight: 2, arbitrary: validValue(schema).map((value) => ({ body: value })) },
          {
            weight: 4,
            arbitrary: validValue(schema)
              .chain(mutated)
              .map((value) => ({ body: value })),
          },
          { weight: 1, arbitrary: hostileValue.map((value) => ({ body: value })) },
          { weight: 1, arbitrary: rawBodies.map((raw) => ({ raw })) },
        )
      : fc.constant({});
    return fc
      .record({
        id: idFor(known),
        query: fc
          .subarray(query)
          .chain((chosen) =>
            fc.tuple(
              ...chosen.map((parameter) =>
                queryValue(parameter.name, parameter.schema).map((value) => [parameter.name, value] as const),
              ),
            ),
          ),
        caller,
        body,
      })
      .map(({ id, query: pairs, caller: who, body: payload }) => {
        const search = new URLSearchParams(
          pairs.map(([name, value]): [string, string] => [name, value]),
        ).toString();
        return {
          method,
          route,
          path: `${route.replace('{id}', id)}${search ? `?${search}` : ''}`,
          caller: who,
          ...payload,
        };
      });
  });
}
