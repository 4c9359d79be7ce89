import type { AuthSecret, DevToken } from './dev-token.js';
import type { Found, Infrastructure } from './infrastructure.js';

export interface BannerFacts {
  apiUrl: string;
  consoleBuilt: boolean;
  running: { name: string; pid?: number }[];
  notBuilt: { name: string; main: string }[];
  infrastructure: Infrastructure;
  schema: string;
  bucket: string;
  secret?: AuthSecret;
  token?: DevToken;
}

const withoutPassword = (url: string) => url.replace(/\/\/([^:/@]+):[^@]*@/, '//$1:***@');

const origin = (found: Found) =>
  found.origin === 'env' ? `from ${found.detail}` : `${found.origin}: ${found.detail}`;

const SECRET_ORIGINS = {
  env: 'from AUTH_JWT_SECRET',
  file: 'read from',
  generated: 'generated and saved in',
} as const;

const isGateway = (service: { name: string }) => service.name === 'gateway';

function gatewayNote(facts: BannerFacts): string {
  if (facts.running.some(isGateway)) return '';
  return facts.notBuilt.some(isGateway)
    ? ' (the gateway is not built yet)'
    : ' (the gateway is not in SERVICES)';
}

/** What runs where, and what to paste into another shell to use it. */
export function banner(facts: BannerFacts): string {
  const { nats, postgres, s3 } = facts.infrastructure;
  const rows: [string, string][] = [
    ['API', `${facts.apiUrl}${gatewayNote(facts)}`],
    ['API docs', `${facts.apiUrl}/api/docs`],
    [
      'console',
      facts.consoleBuilt
        ? `${facts.apiUrl}/${facts.token ? `#token=${facts.token.token} (signs you in)` : ''}`
        : 'not built (apps/console)',
    ],
    ['services', facts.running.map((service) => `${service.name} (pid ${service.pid})`).join(', ')],
    ...facts.notBuilt.map(({ name, main }): [string, string] => [name, `not built yet (${main})`]),
    ['NATS', `${nats.url} (${origin(nats)})`],
    ['PostgreSQL', `${withoutPassword(postgres.url)} schema ${facts.schema} (${origin(postgres)})`],
    ['S3', `${s3.url} bucket ${facts.bucket} (${origin(s3)})`],
    [
      'auth secret',
      facts.secret
        ? `${SECRET_ORIGINS[facts.secret.origin]} ${facts.secret.path ?? ''}`.trim()
        : 'none: AUTH_JWKS_URL is set, use a token from that identity provider',
    ],
  ];
  if (facts.token)
    rows.push(['dev token', `for ${facts.token.user}, expires ${facts.token.expiresAt.toISOString()}`]);
  const width = Math.max(...rows.map(([label]) => label.length)) + 2;
  const exports = [`export BATCH_API_URL=${facts.apiUrl}`];
  if (facts.token) exports.push(`export BATCH_API_TOKEN=${facts.token.token}`);
  return [
    '',
    '  Batch platform',
    ...rows.map(([label, value]) => `    ${label.padEnd(width)}${value}`),
    '',
    ...exports.map((line) => `  ${line}`),
    '',
  ].join('\n');
}
