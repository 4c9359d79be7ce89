import { beforeAll, describe, expect, it } from '@jest/globals';
import type { z } from 'zod';
import { BackupConfig } from '../../apps/backup-service/src/config/backup.config.js';
import { OrchestratorConfig } from '../../apps/batch-orchestrator/src/config/orchestrator.config.js';
import { WorkerConfig } from '../../apps/generation-worker/src/config/worker.config.js';
import { PROVIDER_VARIABLES } from '../../apps/generation-worker/src/providers/provider-variables.js';
import { GatewayConfig } from '../../apps/notification-gateway/src/config/gateway.config.js';
import {
  OVERLAYS,
  readText,
  readYaml,
  render,
  SERVICES,
  type K8sObject,
  type ServiceName,
} from './deploy.spec-helpers.js';

const keysOf = (schema: z.ZodObject) => Object.keys(schema.shape);

/** What each service reads: its settings schema, and for the worker its providers' variables. */
const read: Record<ServiceName, Set<string>> = {
  'batch-orchestrator': new Set(keysOf(OrchestratorConfig)),
  'generation-worker': new Set([
    ...keysOf(WorkerConfig),
    ...Object.values(PROVIDER_VARIABLES).flatMap(({ key, baseUrl }) => [key, baseUrl]),
  ]),
  'backup-service': new Set(keysOf(BackupConfig)),
  'notification-gateway': new Set(keysOf(GatewayConfig)),
};
/** Read by the Node.js runtime itself, not by our code. */
const RUNTIME_VARIABLES = new Set(['NODE_OPTIONS']);
const readByAny = new Set(Object.values(read).flatMap((names) => [...names]));

/** Both ways: every variable the service reads is given, and nothing given is read by nobody. */
function expectSameVariables(service: ServiceName, given: Iterable<string>) {
  const names = new Set(given);
  const missing = [...read[service]].filter((name) => !names.has(name));
  const unread = [...names].filter((name) => !read[service].has(name) && !RUNTIME_VARIABLES.has(name));
  expect({ service, missing, unread }).toEqual({ service, missing: [], unread: [] });
}

describe('the configuration contract: what the services read is what the deployment files set', () => {
  it('derives from the settings schemas (sanity: the shared and a few known variables are there)', () => {
    for (const service of SERVICES) expect(read[service].has('NATS_URL')).toBe(true);
    expect(read['batch-orchestrator'].has('CLEANUP_SCHEDULE')).toBe(true);
    expect(read['generation-worker'].has('OPENAI_API_KEY')).toBe(true);
    expect(read['notification-gateway'].has('AUTH_JWT_SECRET')).toBe(true);
  });

  it('docker-compose.yml lists every variable each service reads, and none it does not', () => {
    const compose = readYaml<{ services: Record<string, { environment?: Record<string, unknown> }> }>(
      'docker-compose.yml',
    );
    for (const service of SERVICES)
      expectSameVariables(service, Object.keys(compose.services[service].environment ?? {}));
  });

  describe.each(OVERLAYS)('Kubernetes, %s', (overlay) => {
    let objects: K8sObject[];
    beforeAll(() => {
      objects = render(overlay);
    });

    it("gives each Deployment every variable its service reads (ConfigMaps, Secret references, the pod's own), and none it does not", () => {
      const configMaps = new Map(
        objects
          .filter((o) => o.kind === 'ConfigMap')
          .map((map) => [map.metadata.name, Object.keys(map.data ?? {})]),
      );
      type Container = { envFrom?: { configMapRef?: { name: string } }[]; env?: { name: string }[] };
      for (const service of SERVICES) {
        const deployment = objects.find(
          (o) => o.kind === 'Deployment' && o.metadata.name === service,
        ) as K8sObject & {
          spec: { template: { spec: { containers: Container[] } } };
        };
        const [container] = deployment.spec.template.spec.containers;
        const fromConfigMaps = (container.envFrom ?? []).flatMap(({ configMapRef }) =>
          configMapRef ? (configMaps.get(configMapRef.name) ?? []) : [],
        );
        expectSameVariables(service, [...fromConfigMaps, ...(container.env ?? []).map(({ name }) => name)]);
      }
    });
  });

  it("README.md's Configuration section documents every variable the services read, and names none that nothing reads", () => {
    const readme = readText('README.md');
    const start = readme.indexOf('\n## Configuration\n');
    const section = readme.slice(start, readme.indexOf('\n## ', start + 1));
    expect(start).toBeGreaterThan(0);
    const undocumented = [...readByAny].filter((name) => !section.includes(`\`${name}\``));
    expect(undocumented).toEqual([]);
    // The first cell of each table row names the variables of that row.
    const tabled = section
      .split('\n')
      .filter((line) => line.startsWith('| `'))
      .flatMap((line) => [...line.split('|')[1].matchAll(/`([A-Z][A-Z0-9_]+)`/g)].map(([, name]) => name));
    expect(tabled.length).toBeGreaterThan(50);
    expect(tabled.filter((name) => !readByAny.has(name))).toEqual([]);
  });
});
