import { existsSync } from 'node:fs';
import { describe, expect, it } from '@jest/globals';
import { Ajv } from 'ajv';
import { baseSettings } from '@batch/platform';
import { fromRoot, readText, readYaml, SERVICES } from './deploy.spec-helpers.js';

interface ComposeService {
  image?: string;
  build?: { context: string; dockerfile: string; args?: Record<string, string> };
  command?: string[] | string;
  environment?: Record<string, string | number>;
  healthcheck?: { test: string[] };
  depends_on?: Record<string, { condition: string }> | string[];
  profiles?: string[];
  volumes?: string[];
  stop_grace_period?: string;
  restart?: string;
}
const compose = readYaml<{ services: Record<string, ComposeService> }>('docker-compose.yml');
const services = compose.services;
/** `depends_on` in either form: a list means each started. */
const dependencies = ({ depends_on: dependsOn = {} }: ComposeService) =>
  Array.isArray(dependsOn)
    ? Object.fromEntries(dependsOn.map((name) => [name, { condition: 'service_started' }]))
    : dependsOn;

describe('docker-compose.yml', () => {
  it('is valid against the Compose specification (vendored JSON schema)', () => {
    // Its `$schema` names draft-07 by an address Ajv does not know; Ajv's default is draft-07.
    const { $schema: _draft, ...schema } = JSON.parse(readText('deploy/schemas/compose-spec.json')) as Record<
      string,
      unknown
    >;
    // The spec's `format`s (durations, ports) are Compose's own: the structure is what is checked.
    const validate = new Ajv({ strict: false, validateFormats: false, allErrors: true }).compile(schema);
    const valid = validate(compose);
    expect(validate.errors ?? []).toEqual([]);
    expect(valid).toBe(true);
  });

  it('builds each service from deploy/Dockerfile by name and checks its health on its ops port', () => {
    for (const name of SERVICES) {
      const service = services[name];
      expect(service.build).toMatchObject({
        context: '.',
        dockerfile: 'deploy/Dockerfile',
        args: { APP: name },
      });
      expect(service.image).toMatch(new RegExp(`^batch-platform/${name}:`));
      const env = service.environment ?? {};
      const port = name === 'notification-gateway' ? env['GATEWAY_PORT'] : env['OPS_PORT'];
      expect(service.healthcheck?.test).toEqual([
        'CMD',
        'node',
        'healthcheck.mjs',
        `http://127.0.0.1:${port}/readyz`,
      ]);
      expect(service.depends_on).toMatchObject({
        nats: { condition: 'service_healthy' },
        postgres: { condition: 'service_healthy' },
        migrations: { condition: 'service_completed_successfully' },
      });
      const graceSeconds = Number(/^(\d+)s$/.exec(service.stop_grace_period ?? '')?.[1]);
      expect(graceSeconds * 1000).toBeGreaterThan(
        baseSettings.shape.SHUTDOWN_GRACE_MS.parse(undefined) as number,
      );
    }
  });

  it('waits on what exists: healthy servers, and one-shots (migrations, the bucket) that completed', () => {
    for (const [name, service] of Object.entries(services))
      for (const [dependency, { condition }] of Object.entries(dependencies(service))) {
        expect({ name, dependency, exists: dependency in services }).toEqual({
          name,
          dependency,
          exists: true,
        });
        if (condition === 'service_healthy') expect(services[dependency].healthcheck).toBeDefined();
        if (condition === 'service_completed_successfully')
          expect(['migrations', 'minio-setup']).toContain(dependency);
      }
    expect(services['migrations'].command).toEqual(['node', 'libs/persistence/dist/migrate.main.js']);
    expect(String(services['minio-setup'].command)).toMatch(
      /mc ilm rule add --expire-days "\$\$BACKUP_RETENTION_DAYS"/,
    );
  });

  it('runs NATS 2.10+ with JetStream on a volume', () => {
    const nats = services['nats'];
    expect(nats.image).toMatch(/^nats:2\.(1\d|[2-9]\d)/);
    expect(nats.command).toEqual(expect.arrayContaining(['-js', '-sd', '/data']));
    expect(nats.volumes).toContain('nats-data:/data');
  });

  it('has the observability profile, its files there', () => {
    for (const name of ['otel-collector', 'jaeger', 'prometheus', 'grafana']) {
      expect(services[name].profiles).toEqual(['observability']);
      for (const volume of services[name].volumes ?? []) {
        const [source] = volume.split(':');
        if (source.startsWith('./'))
          expect({ volume, exists: existsSync(fromRoot(source)) }).toEqual({ volume, exists: true });
      }
    }
  });
});
