import { beforeAll, describe, expect, it } from '@jest/globals';
import { baseSettings } from '@batch/platform';
import { OVERLAYS, render, schemaErrors, SERVICES, type K8sObject } from './deploy.spec-helpers.js';

type Container = {
  name: string;
  ports?: { name?: string; containerPort: number }[];
  readinessProbe?: { httpGet?: { path: string; port: string | number } };
  livenessProbe?: { httpGet?: { path: string; port: string | number } };
  resources?: { requests?: Record<string, string>; limits?: Record<string, string> };
  securityContext?: { allowPrivilegeEscalation?: boolean };
};
type PodSpec = {
  containers: Container[];
  terminationGracePeriodSeconds?: number;
  securityContext?: { runAsNonRoot?: boolean };
};
type Workload = K8sObject & {
  spec: {
    replicas?: number;
    selector: { matchLabels: Record<string, string> };
    template: { metadata: { labels: Record<string, string> }; spec: PodSpec };
  };
};

const matches = (selector: Record<string, string>, labels: Record<string, string> = {}) =>
  Object.entries(selector).every(([key, value]) => labels[key] === value);
const byKind = <T extends K8sObject>(objects: K8sObject[], kind: string) =>
  objects.filter((object) => object.kind === kind) as T[];
const named = <T extends K8sObject>(objects: K8sObject[], kind: string, name: string): T => {
  const found = objects.find((object) => object.kind === kind && object.metadata.name === name);
  if (!found) throw new Error(`no ${kind} ${name}`);
  return found as T;
};

const rendered: Record<string, K8sObject[]> = {};
beforeAll(() => {
  for (const overlay of OVERLAYS) rendered[overlay] = render(overlay);
});

describe.each(OVERLAYS)('kustomize %s', (overlay) => {
  const objects = () => rendered[overlay];

  it('renders, and every object is valid against its Kubernetes (or CRD) schema', () => {
    expect(objects().length).toBeGreaterThan(20);
    const invalid = objects()
      .map((object) => ({ object: `${object.kind} ${object.metadata.name}`, errors: schemaErrors(object) }))
      .filter(({ errors }) => errors.length > 0);
    expect(invalid).toEqual([]);
  });

  it('puts everything in one namespace and commits no Secret', () => {
    const namespaces = new Set(
      objects()
        .filter((o) => o.kind !== 'Namespace')
        .map((o) => o.metadata.namespace),
    );
    expect(namespaces.size).toBe(1);
    expect(byKind(objects(), 'Secret')).toEqual([]);
  });

  it('runs each service as a Deployment with probes on its ops port, resources, non-root, a grace period above SHUTDOWN_GRACE_MS', () => {
    const shutdownGraceMs = Number(
      named(objects(), 'ConfigMap', 'batch-platform-common').data?.['SHUTDOWN_GRACE_MS'] ||
        baseSettings.shape.SHUTDOWN_GRACE_MS.parse(undefined),
    );
    for (const service of SERVICES) {
      const deployment = named<Workload>(objects(), 'Deployment', service);
      const pod = deployment.spec.template.spec;
      expect(matches(deployment.spec.selector.matchLabels, deployment.spec.template.metadata.labels)).toBe(
        true,
      );
      expect(pod.terminationGracePeriodSeconds! * 1000).toBeGreaterThan(shutdownGraceMs);
      expect(pod.securityContext?.runAsNonRoot).toBe(true);
      const [container] = pod.containers;
      const portNames = (container.ports ?? []).map((port) => port.name);
      expect(container.readinessProbe?.httpGet?.path).toBe('/readyz');
      expect(container.livenessProbe?.httpGet?.path).toBe('/healthz');
      expect(portNames).toContain(container.readinessProbe?.httpGet?.port);
      expect(portNames).toContain(container.livenessProbe?.httpGet?.port);
      expect(container.resources?.requests).toEqual(
        expect.objectContaining({ cpu: expect.any(String), memory: expect.any(String) }),
      );
      expect(container.resources?.limits?.['memory']).toBeDefined();
      expect(container.securityContext?.allowPrivilegeEscalation).toBe(false);
    }
  });

  it('gives every Deployment and StatefulSet a PodDisruptionBudget and every Service pods to reach', () => {
    const workloads = [
      ...byKind<Workload>(objects(), 'Deployment'),
      ...byKind<Workload>(objects(), 'StatefulSet'),
    ];
    const budgets = byKind<K8sObject & { spec: { selector: { matchLabels: Record<string, string> } } }>(
      objects(),
      'PodDisruptionBudget',
    );
    for (const service of [...SERVICES, 'nats'])
      expect(
        budgets.some((budget) =>
          matches(
            budget.spec.selector.matchLabels,
            named<Workload>(objects(), service === 'nats' ? 'StatefulSet' : 'Deployment', service).spec
              .template.metadata.labels,
          ),
        ),
      ).toBe(true);
    for (const service of byKind<
      K8sObject & { spec: { selector: Record<string, string>; ports: { targetPort: string | number }[] } }
    >(objects(), 'Service')) {
      const pods = workloads.filter((workload) =>
        matches(service.spec.selector, workload.spec.template.metadata.labels),
      );
      expect({ service: service.metadata.name, pods: pods.length > 0 }).toEqual({
        service: service.metadata.name,
        pods: true,
      });
      const ports = pods.flatMap((pod) => pod.spec.template.spec.containers.flatMap((c) => c.ports ?? []));
      for (const { targetPort } of service.spec.ports)
        expect(ports.some((port) => port.name === targetPort || port.containerPort === targetPort)).toBe(
          true,
        );
    }
  });

  it('references only ConfigMaps it renders, with the keys it asks for, and only the operator-made Secret', () => {
    const configMaps = new Map(
      byKind(objects(), 'ConfigMap').map((map) => [map.metadata.name, map.data ?? {}]),
    );
    const references = JSON.stringify(objects()).matchAll(
      /"(configMapRef|configMapKeyRef|secretKeyRef)":(\{[^}]*\})/g,
    );
    let count = 0;
    for (const [, kind, body] of references) {
      const reference = JSON.parse(body) as { name: string; key?: string };
      count++;
      if (kind === 'secretKeyRef') expect(reference.name).toBe('batch-platform-secrets');
      else {
        expect([...configMaps.keys()]).toContain(reference.name);
        if (reference.key) expect(Object.keys(configMaps.get(reference.name)!)).toContain(reference.key);
      }
    }
    expect(count).toBeGreaterThan(10);
  });

  it('lets only the gateway in from outside the namespace (and Prometheus to the ops ports)', () => {
    type Policy = K8sObject & {
      spec: {
        podSelector: { matchLabels?: Record<string, string> };
        ingress?: {
          from?: { namespaceSelector?: { matchLabels: Record<string, string> } }[];
          ports?: { port: number }[];
        }[];
      };
    };
    const policies = byKind<Policy>(objects(), 'NetworkPolicy');
    expect(
      policies.some((policy) => Object.keys(policy.spec.podSelector).length === 0 && !policy.spec.ingress),
    ).toBe(true);
    for (const policy of policies)
      for (const rule of policy.spec.ingress ?? [])
        for (const peer of rule.from ?? []) {
          const namespace = peer.namespaceSelector?.matchLabels['kubernetes.io/metadata.name'];
          if (namespace === undefined) continue;
          if (namespace === 'monitoring')
            expect(rule.ports?.every(({ port }) => [9101, 9102, 9103, 3000, 8222].includes(port))).toBe(true);
          else
            expect(policy.spec.podSelector.matchLabels).toEqual({
              'app.kubernetes.io/name': 'notification-gateway',
            });
        }
    const ingresses = byKind<
      K8sObject & { spec: { rules: { http: { paths: { backend: { service: { name: string } } }[] } }[] } }
    >(objects(), 'Ingress');
    expect(
      ingresses.flatMap((ingress) =>
        ingress.spec.rules.flatMap((rule) => rule.http.paths.map((path) => path.backend.service.name)),
      ),
    ).toEqual(['notification-gateway']);
  });

  it('has the migrations Job and the nightly cleanup CronJob on the orchestrator image', () => {
    type Job = K8sObject & {
      spec: {
        template: { spec: PodSpec & { containers: (Container & { image: string; command: string[] })[] } };
      };
    };
    const migrations = named<Job>(objects(), 'Job', 'batch-platform-migrations').spec.template.spec
      .containers[0];
    expect(migrations.command).toEqual(['node', 'libs/persistence/dist/migrate.main.js']);
    const cronJob = named<
      K8sObject & {
        spec: { schedule: string; timeZone: string; concurrencyPolicy: string; jobTemplate: Job };
      }
    >(objects(), 'CronJob', 'batch-platform-cleanup');
    expect(cronJob.spec).toMatchObject({
      schedule: '0 2 * * *',
      timeZone: 'Etc/UTC',
      concurrencyPolicy: 'Forbid',
    });
    const cleanup = cronJob.spec.jobTemplate.spec.template.spec.containers[0];
    expect(cleanup.command).toEqual(['node', 'apps/batch-orchestrator/dist/cleanup/cleanup-once.main.js']);
    expect(cleanup.image).toMatch(/^batch-platform\/batch-orchestrator:/);
  });
});

describe('the overlays differ where they should', () => {
  const replicasSetting = (overlay: string) =>
    ['batch-orchestrator-config', 'backup-service-config', 'notification-gateway-config'].map(
      (name) => named(rendered[overlay], 'ConfigMap', name).data?.['EVENTS_REPLICAS'],
    );

  it('prod runs a 3-node JetStream cluster with 3 replicas of every stream; dev one node', () => {
    const nats = (overlay: string) => named<Workload>(rendered[overlay], 'StatefulSet', 'nats');
    const config = (overlay: string) =>
      named(rendered[overlay], 'ConfigMap', 'nats-config').data?.['nats.conf'] ?? '';
    expect(nats('k8s/overlays/prod').spec.replicas).toBe(3);
    expect(config('k8s/overlays/prod')).toMatch(/cluster \{[\s\S]*nats-2\.nats-headless:6222/);
    expect(replicasSetting('k8s/overlays/prod')).toEqual(['3', '3', '3']);
    expect(nats('k8s/overlays/dev').spec.replicas).toBe(1);
    expect(config('k8s/overlays/dev')).not.toMatch(/cluster \{/);
    expect(replicasSetting('k8s/overlays/dev')).toEqual(['1', '1', '1']);
  });

  it('prod scales workers with KEDA on the work queue lag, CPU as the fallback; dev with an HPA on CPU', () => {
    type ScaledObject = K8sObject & {
      spec: {
        scaleTargetRef: { name: string };
        triggers: { type: string; metadata: Record<string, string> }[];
      };
    };
    const [scaled] = byKind<ScaledObject>(rendered['k8s/overlays/prod'], 'ScaledObject');
    expect(scaled.spec.scaleTargetRef.name).toBe('generation-worker');
    expect(scaled.spec.triggers.map((trigger) => trigger.type)).toEqual(['prometheus', 'cpu']);
    expect(scaled.spec.triggers[0].metadata['query']).toMatch(/work_pending_messages/);
    expect(byKind(rendered['k8s/overlays/prod'], 'HorizontalPodAutoscaler')).toEqual([]);
    const [hpa] = byKind<K8sObject & { spec: { scaleTargetRef: { name: string } } }>(
      rendered['k8s/overlays/dev'],
      'HorizontalPodAutoscaler',
    );
    expect(hpa.spec.scaleTargetRef.name).toBe('generation-worker');
    expect(byKind(rendered['k8s/overlays/dev'], 'ScaledObject')).toEqual([]);
  });
});
