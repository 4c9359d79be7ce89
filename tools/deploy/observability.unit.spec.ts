import { describe, expect, it } from '@jest/globals';
import { collectDefaultMetrics, Registry } from 'prom-client';
import {
  metricsInCode,
  metricsInExpression,
  readText,
  readYaml,
  render,
  SERVICES,
  type K8sObject,
} from './deploy.spec-helpers.js';

interface RuleGroups {
  groups: { name: string; rules: { alert: string; expr: string; for?: string }[] }[];
}
interface Dashboard {
  uid: string;
  panels: {
    id: number;
    type: string;
    title: string;
    datasource?: { uid: string };
    targets?: { expr: string }[];
  }[];
}

const alerts = readYaml<RuleGroups>('deploy/prometheus/alerts.yml');
const dashboard = JSON.parse(readText('deploy/grafana/dashboards/batch-platform.json')) as Dashboard;

/** What the services export: the code's own metrics, prom-client's process metrics, and Prometheus' `up`. */
function exportedMetrics(): Set<string> {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const defaults = registry
    .getMetricsAsArray()
    .flatMap(({ name }) => [name, `${name}_bucket`, `${name}_count`, `${name}_sum`]);
  return new Set([...metricsInCode(), ...defaults, 'up']);
}

describe('metrics, dashboard and alerts', () => {
  const exported = exportedMetrics();
  const unknown = (expressions: string[]) =>
    expressions.flatMap((expr) =>
      metricsInExpression(expr)
        .filter((name) => !exported.has(name))
        .map((name) => `${name} in ${expr}`),
    );

  it('finds the metrics in the code (sanity: the tokenizer and the scan work)', () => {
    expect(exported.has('work_pending_messages')).toBe(true);
    expect(exported.has('provider_call_duration_seconds_bucket')).toBe(true);
    expect(metricsInExpression('sum by (le) (rate(foo_bucket{a="b"}[5m])) / on() max(bar) > 0.5')).toEqual([
      'foo_bucket',
      'bar',
    ]);
  });

  it('alerts only on metrics the services export', () => {
    const expressions = alerts.groups.flatMap((group) => group.rules.map((rule) => rule.expr));
    expect(expressions.length).toBeGreaterThanOrEqual(6);
    expect(unknown(expressions)).toEqual([]);
  });

  it('has the alerts the runbook names', () => {
    const names = alerts.groups.flatMap((group) => group.rules.map((rule) => rule.alert));
    expect(names).toEqual(
      expect.arrayContaining([
        'BatchNoProgress',
        'WorkQueueLagGrowing',
        'ProjectionLagHigh',
        'ApiErrorRateHigh',
        'ServiceDown',
      ]),
    );
    const noProgress = alerts.groups[0].rules.find((rule) => rule.alert === 'BatchNoProgress')!;
    expect(noProgress.expr).toMatch(/\[10m\]/);
  });

  it('charts only metrics the services export, on the provisioned data source', () => {
    const datasource = readYaml<{ datasources: { uid: string }[] }>(
      'deploy/grafana/provisioning/datasources/prometheus.yml',
    );
    const charts = dashboard.panels.filter((panel) => panel.type !== 'row');
    expect(charts.length).toBeGreaterThanOrEqual(12);
    expect(new Set(dashboard.panels.map((panel) => panel.id)).size).toBe(dashboard.panels.length);
    for (const chart of charts) expect(chart.datasource?.uid).toBe(datasource.datasources[0].uid);
    expect(unknown(charts.flatMap((chart) => (chart.targets ?? []).map((target) => target.expr)))).toEqual(
      [],
    );
  });

  it('gives Kubernetes the same alert rules as compose, and autoscales on an exported metric', () => {
    const prod = render('k8s/overlays/prod');
    const rule = prod.find((object) => object.kind === 'PrometheusRule') as K8sObject & { spec: RuleGroups };
    expect(rule.spec).toEqual(alerts);
    const scaled = prod.find((object) => object.kind === 'ScaledObject') as K8sObject & {
      spec: { triggers: { type: string; metadata: { query?: string } }[] };
    };
    expect(unknown(scaled.spec.triggers.flatMap((trigger) => trigger.metadata.query ?? []))).toEqual([]);
  });

  it("scrapes each service's ops port in compose", () => {
    const prometheus = readYaml<{
      scrape_configs: { job_name: string; dns_sd_configs: { names: string[]; port: number }[] }[];
    }>('deploy/prometheus/prometheus.yml');
    const compose = readYaml<{ services: Record<string, { environment: Record<string, string | number> }> }>(
      'docker-compose.yml',
    );
    for (const service of SERVICES) {
      const job = prometheus.scrape_configs.find((config) => config.job_name === service);
      const env = compose.services[service].environment;
      expect(job?.dns_sd_configs[0]).toEqual({
        names: [service],
        type: 'A',
        port: Number(service === 'notification-gateway' ? env['GATEWAY_PORT'] : env['OPS_PORT']),
      });
    }
  });
});
