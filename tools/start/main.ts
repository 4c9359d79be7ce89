// `npm start`: finds or starts NATS, PostgreSQL and S3, migrates, runs and supervises the services.
import { mkdir } from 'node:fs/promises';
import { banner } from './banner.js';
import { authSecret, signDevToken } from './dev-token.js';
import { startInfrastructure, type Owned } from './infrastructure.js';
import { migrate } from './migrations.js';
import { build } from '../build/build.mjs';
import { buildConsoleIfMissing } from './console-build.js';
import { isBuilt, SERVICES, serviceProcess, type Service } from './services.js';
import { loadStartConfig, type StartConfig } from './start.config.js';
import { duration, supervise, type SupervisedProcess, type SupervisorOptions } from './supervisor.js';

const startedAt = Date.now();
const print = (line: string) => console.log(line);
const say = (text: string) => print(`[start] ${text}`);

let config: StartConfig;
try {
  config = loadStartConfig(process.env);
} catch (error) {
  say((error as Error).message);
  process.exit(1);
}

const stopping = new AbortController();
const supervisor: SupervisorOptions = {
  policy: {
    baseDelayMs: config.RESTART_BASE_DELAY_MS,
    maxDelayMs: config.RESTART_MAX_DELAY_MS,
    resetAfterMs: config.RESTART_RESET_AFTER_MS,
  },
  readyTimeoutMs: config.READY_TIMEOUT_MS,
  stopGraceMs: config.STOP_GRACE_MS,
  showLevel: config.SHOW_LOG_LEVEL,
  print,
  signal: stopping.signal,
};
// Stopped in two stages, services first: they should not see their servers go away.
const ownedInfrastructure: Owned[] = [];
const services: SupervisedProcess[] = [];

async function start(): Promise<void> {
  await mkdir(config.DATA_DIR, { recursive: true });
  if (config.START_MODE === 'built') {
    const built = await build();
    say(`built the services (${built.files} file(s) compiled in ${duration(built.ms)})`);
  } else say('dev mode: the services run from their sources and restart when one changes');
  // Built beside the servers' start: the gateway serves it only if it is there when it starts.
  const consoleBuilt = buildConsoleIfMissing(say);
  const infrastructure = await startInfrastructure({
    config,
    supervisor,
    own: (started) => ownedInfrastructure.push(started),
    say,
  });
  say(`migrating the database schema ${config.DATABASE_SCHEMA}`);
  await migrate(infrastructure.postgres.url, config.DATABASE_SCHEMA);
  const secret = config.AUTH_JWKS_URL ? undefined : await authSecret(config.AUTH_JWT_SECRET, config.DATA_DIR);
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    NATS_URL: infrastructure.nats.url,
    NATS_NAMESPACE: config.NATS_NAMESPACE,
    DATABASE_URL: infrastructure.postgres.url,
    DATABASE_SCHEMA: config.DATABASE_SCHEMA,
    S3_ENDPOINT: infrastructure.s3.url,
    S3_ACCESS_KEY: config.S3_ACCESS_KEY,
    S3_SECRET_KEY: config.S3_SECRET_KEY,
    S3_BUCKET: config.S3_BUCKET,
    GATEWAY_PORT: String(config.GATEWAY_PORT),
    LOG_LEVEL: config.LOG_LEVEL,
    ...(secret ? { AUTH_JWT_SECRET: secret.secret } : {}),
  };
  const selected = SERVICES.filter((service) => config.SERVICES.includes(service.name));
  const runnable = (service: Service) => config.START_MODE === 'dev' || isBuilt(service.main);
  const notBuilt = selected.filter((service) => !runnable(service));
  await consoleBuilt;
  for (const service of selected.filter(runnable)) {
    const definition = serviceProcess(service, env, config.START_MODE);
    say(`starting ${service.name} (${definition.args.at(-1)})`);
    const supervised = supervise(definition, supervisor);
    services.push(supervised);
    await supervised.ready;
  }
  const token =
    secret &&
    (await signDevToken(secret.secret, {
      user: config.DEV_USER,
      ttl: config.DEV_TOKEN_TTL,
      issuer: config.AUTH_ISSUER,
      audience: config.AUTH_AUDIENCE,
    }));
  print(
    banner({
      apiUrl: `http://localhost:${config.GATEWAY_PORT}`,
      consoleBuilt: await consoleBuilt,
      running: services.map((service) => ({ name: service.name, pid: service.pid() })),
      notBuilt,
      infrastructure,
      schema: config.DATABASE_SCHEMA,
      bucket: config.S3_BUCKET,
      secret,
      token,
    }),
  );
  const started = ownedInfrastructure.map((owned) => owned.name);
  say(
    `all started in ${duration(Date.now() - startedAt)}. Ctrl-C stops the services` +
      (started.length > 0 ? ` and ${started.join(', ')}` : '') +
      '; nothing else.',
  );
}

let shutdown: Promise<void> | undefined;

/** Stops what this launcher started, and only that: services, then its own servers. */
function stop(reason: string, exitCode: number): void {
  if (shutdown) return say(`${reason}: already stopping (SIGKILL after ${duration(config.STOP_GRACE_MS)})`);
  say(`${reason}: stopping`);
  stopping.abort();
  shutdown = (async () => {
    await startup.catch(() => undefined);
    await Promise.all(services.map((service) => service.stop()));
    await Promise.all(ownedInfrastructure.map((owned) => owned.stop()));
    say('stopped');
    process.exit(exitCode);
  })();
}

const startup = start();
process.on('SIGINT', () => stop('SIGINT', 0));
process.on('SIGTERM', () => stop('SIGTERM', 0));
startup.catch((error: Error) => {
  if (stopping.signal.aborted) return;
  say(`could not start:\n${error.message}`);
  stop('start-up failed', 1);
});
