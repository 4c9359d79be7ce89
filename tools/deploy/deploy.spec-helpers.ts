import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { parseAllDocuments, parse } from 'yaml';

export const repositoryRoot = join(import.meta.dirname, '../..');
export const fromRoot = (...path: string[]) => join(repositoryRoot, ...path);
export const readText = (...path: string[]) => readFileSync(fromRoot(...path), 'utf8');
/** YAML with `<<` merge keys resolved, as Compose reads it. */
export const readYaml = <T>(...path: string[]): T => parse(readText(...path), { merge: true }) as T;

/** The four services and the environment each reads beside its settings schema. */
export const SERVICES = [
  'batch-orchestrator',
  'generation-worker',
  'backup-service',
  'notification-gateway',
] as const;
export type ServiceName = (typeof SERVICES)[number];

export interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string> };
  spec?: Record<string, unknown>;
  data?: Record<string, string>;
  [key: string]: unknown;
}

const KUBECTL = process.env['KUBECTL'] ?? 'kubectl';

/**
 * `kubectl kustomize <dir>`: kustomize as built into kubectl (v5 in kubectl 1.27+, v2.0.3 in
 * Debian 12's kubectl 1.20; the manifests are written for both). CI installs Debian's when no
 * kubectl is on PATH (.ci/run).
 */
export function render(directory: string): K8sObject[] {
  let output: string;
  try {
    output = execFileSync(KUBECTL, ['kustomize', fromRoot(directory)], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
    });
  } catch (error) {
    const { stderr, code } = error as { stderr?: string; code?: string };
    if (code === 'ENOENT')
      throw new Error(`${KUBECTL} not found: install kubectl (Debian: apt-get install kubernetes-client)`);
    throw new Error(`kustomize ${directory} failed: ${stderr ?? (error as Error).message}`);
  }
  return parseAllDocuments(output)
    .map((document) => document.toJSON() as K8sObject | null)
    .filter((object): object is K8sObject => object !== null);
}

export const OVERLAYS = ['k8s/overlays/dev', 'k8s/overlays/prod'] as const;

const require = createRequire(import.meta.url);

/** Where kubernetes-models keeps the validator of an apiVersion and kind (core, named groups, CRDs). */
function modelPath({ apiVersion, kind }: Pick<K8sObject, 'apiVersion' | 'kind'>): string {
  const [group, version] = apiVersion.includes('/') ? apiVersion.split('/') : ['', apiVersion];
  if (group === 'keda.sh') return `@kubernetes-models/keda/${apiVersion}/${kind}`;
  if (group === 'monitoring.coreos.com')
    return `@kubernetes-models/prometheus-operator/${apiVersion}/${kind}`;
  return group ? `kubernetes-models/${group}/${version}/${kind}` : `kubernetes-models/v1/${kind}`;
}

/** Validates an object against its kind's schema; answers the errors (none: valid). */
export function schemaErrors(object: K8sObject): string[] {
  let Model: new (data: unknown) => { validate(): void };
  try {
    Model = (require(modelPath(object)) as Record<string, typeof Model>)[object.kind];
  } catch {
    return [`no schema for ${object.apiVersion} ${object.kind}`];
  }
  if (!Model) return [`no schema for ${object.apiVersion} ${object.kind}`];
  try {
    new Model(object).validate();
    return [];
  } catch (error) {
    return [(error as Error).message];
  }
}

/** Every metric name the code registers with prom-client (`name: '...'` of a Counter, Gauge, Histogram). */
export function metricsInCode(): Set<string> {
  const names = new Set<string>();
  const sourceFiles = (directory: string): string[] =>
    readdirSync(directory, { withFileTypes: true }).flatMap((entry) => {
      const path = join(directory, entry.name);
      if (entry.isDirectory()) return entry.name === 'e2e' ? [] : sourceFiles(path);
      return entry.name.endsWith('.ts') && !entry.name.includes('.spec') ? [path] : [];
    });
  const roots = ['apps', 'libs'].flatMap((group) =>
    readdirSync(fromRoot(group)).map((name) => fromRoot(group, name, 'src')),
  );
  for (const root of roots) {
    let files: string[];
    try {
      files = sourceFiles(root);
    } catch {
      continue;
    }
    for (const file of files) {
      const text = readFileSync(file, 'utf8');
      for (const match of text.matchAll(
        /new (Counter|Gauge|Histogram|Summary)\(\{\s*name: '([a-zA-Z_:][a-zA-Z0-9_:]*)'/g,
      )) {
        const [, type, name] = match;
        names.add(name);
        if (type === 'Histogram' || type === 'Summary')
          for (const suffix of ['_bucket', '_count', '_sum']) names.add(name + suffix);
      }
    }
  }
  return names;
}

const PROMQL_WORDS = new Set([
  'and',
  'or',
  'unless',
  'on',
  'ignoring',
  'by',
  'without',
  'group_left',
  'group_right',
  'bool',
  'offset',
  'inf',
  'nan',
]);

/** The metric names a PromQL expression reads (functions, labels, strings, ranges and keywords left out). */
export function metricsInExpression(expression: string): string[] {
  const bare = expression
    .replace(/"(?:[^"\\]|\\.)*"/g, '""')
    .replace(/\{[^}]*\}/g, '')
    .replace(/\[[^\]]*\]/g, '')
    .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, '');
  return [...bare.matchAll(/(?<![\w:.])[a-zA-Z_:][\w:]*(?![\w:])(?!\s*\()/g)]
    .map(([word]) => word)
    .filter((word) => !PROMQL_WORDS.has(word) && !/^\d/.test(word))
    .filter((word, index, all) => all.indexOf(word) === index);
}
