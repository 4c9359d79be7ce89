import type { BatchConfig } from '@batch/client';
import { useQueryClient } from '@tanstack/react-query';
import { useDeferredValue, useId, useMemo, useState, type FormEvent } from 'react';
import { useApi } from '../api/api-context';
import { useAction } from '../api/use-action';
import { navigate } from '../app/router';
import { formatCount } from './batch-format';
import { detectFormat, parseItems, type ItemsFormat } from './parse-items';

type Provider = 'template' | 'openai' | 'anthropic';

interface ConfigForm {
  provider: Provider;
  model: string;
  systemPrompt: string;
  requestsPerMinute: string;
  concurrency: string;
  maxCostUsd: string;
  latencyMs: string;
}

const EMPTY_CONFIG: ConfigForm = {
  provider: 'template',
  model: '',
  systemPrompt: '',
  requestsPerMinute: '',
  concurrency: '',
  maxCostUsd: '',
  latencyMs: '',
};

const EXAMPLE =
  '{"id": "1", "topic": "Refund request for a late order"}\n{"id": "2", "topic": "Password reset", "parameters": {"tone": "friendly"}}';

export function configOf(form: ConfigForm): BatchConfig {
  const config: BatchConfig = { provider: form.provider };
  if (form.model.trim()) config.model = form.model.trim();
  if (form.systemPrompt.trim()) config.systemPrompt = form.systemPrompt;
  const rateLimit: NonNullable<BatchConfig['rateLimit']> = {};
  if (form.requestsPerMinute) rateLimit.requestsPerMinute = Number(form.requestsPerMinute);
  if (form.concurrency) rateLimit.concurrency = Number(form.concurrency);
  if (Object.keys(rateLimit).length > 0) config.rateLimit = rateLimit;
  if (form.maxCostUsd) config.maxCostUsd = Number(form.maxCostUsd);
  if (form.latencyMs && form.provider === 'template') config.latencyMs = Number(form.latencyMs);
  return config;
}

/** Create a batch from pasted or uploaded JSONL/CSV, with its provider settings. */
export function CreateBatchPage() {
  const api = useApi();
  const queryClient = useQueryClient();
  const id = useId();
  const [name, setName] = useState('');
  const [text, setText] = useState('');
  const [file, setFile] = useState<{ name: string; text: string } | null>(null);
  const [format, setFormat] = useState<ItemsFormat | 'auto'>('auto');
  const [config, setConfig] = useState(EMPTY_CONFIG);
  const [autoStart, setAutoStart] = useState(true);
  const [uploaded, setUploaded] = useState<number | null>(null);

  const source = file?.text ?? text;
  const deferredSource = useDeferredValue(source);
  const parsed = useMemo(
    () =>
      deferredSource.trim() === ''
        ? null
        : parseItems(deferredSource, format === 'auto' ? detectFormat(deferredSource, file?.name) : format),
    [deferredSource, format, file?.name],
  );

  const create = useAction(
    async () => {
      if (!parsed || parsed.items.length === 0) throw new Error('no items to create');
      setUploaded(0);
      return api.client.createLargeBatch({
        name: name.trim() || undefined,
        config: configOf(config),
        items: parsed.items,
        autoStart,
        onProgress: setUploaded,
      });
    },
    {
      failure: 'Create failed',
      success: (batch) => `Batch created: ${formatCount(batch.total_items)} items`,
      onSuccess: (batch) => {
        void queryClient.invalidateQueries({ queryKey: ['batches'] });
        queryClient.setQueryData(['batch', batch.batch_id], batch);
        navigate(`/batches/${encodeURIComponent(batch.batch_id)}`);
      },
    },
  );

  const set = (field: keyof ConfigForm) => (event: { target: { value: string } }) =>
    setConfig((current) => ({ ...current, [field]: event.target.value }));
  const submit = (event: FormEvent) => {
    event.preventDefault();
    void create.run().finally(() => setUploaded(null));
  };
  const canSubmit =
    parsed !== null && parsed.items.length > 0 && parsed.errors.length === 0 && !create.pending;

  return (
    <section aria-labelledby="create-title">
      <h1 id="create-title">Create a batch</h1>
      <form className="form" onSubmit={submit} noValidate>
        <div className="panel">
          <label htmlFor={`${id}-name`}>Name</label>
          <input
            id={`${id}-name`}
            value={name}
            maxLength={200}
            onChange={(event) => setName(event.target.value)}
          />

          <label htmlFor={`${id}-items`}>Items (JSONL or CSV)</label>
          <p id={`${id}-items-hint`} className="muted">
            JSONL: one <code>{'{"id", "topic", "parameters"?}'}</code> per line. CSV: a header{' '}
            <code>id,topic,…</code>; the other columns become each item&apos;s parameters.
          </p>
          <textarea
            id={`${id}-items`}
            rows={8}
            spellCheck={false}
            value={file ? '' : text}
            disabled={file !== null}
            placeholder={EXAMPLE}
            aria-describedby={`${id}-items-hint ${id}-parsed`}
            onChange={(event) => setText(event.target.value)}
          />
          <div className="toolbar">
            <label htmlFor={`${id}-file`}>Or upload a file</label>
            <input
              id={`${id}-file`}
              type="file"
              accept=".jsonl,.ndjson,.json,.csv,text/csv,application/x-ndjson"
              onChange={(event) => {
                const chosen = event.target.files?.[0];
                if (!chosen) return setFile(null);
                void chosen.text().then((content) => setFile({ name: chosen.name, text: content }));
              }}
            />
            {file && (
              <button type="button" className="button button-small" onClick={() => setFile(null)}>
                Remove {file.name}
              </button>
            )}
            <label htmlFor={`${id}-format`}>Format</label>
            <select
              id={`${id}-format`}
              value={format}
              onChange={(event) => setFormat(event.target.value as ItemsFormat | 'auto')}
            >
              <option value="auto">Detect</option>
              <option value="jsonl">JSONL</option>
              <option value="csv">CSV</option>
            </select>
          </div>
          <div id={`${id}-parsed`} role="status" aria-live="polite">
            {parsed && parsed.errors.length === 0 && (
              <p>
                {formatCount(parsed.items.length)} item{parsed.items.length === 1 ? '' : 's'} ready (
                {parsed.format.toUpperCase()}
                {file ? `, ${file.name}` : ''})
              </p>
            )}
          </div>
          {parsed && parsed.errors.length > 0 && (
            <div className="notice notice-error" role="alert">
              <p>
                {parsed.format.toUpperCase()} problems ({formatCount(parsed.items.length)} item
                {parsed.items.length === 1 ? '' : 's'} read):
              </p>
              <ul>
                {parsed.errors.map((error) => (
                  <li key={error}>{error}</li>
                ))}
              </ul>
            </div>
          )}
        </div>

        <fieldset className="panel">
          <legend>Generation settings</legend>
          <label htmlFor={`${id}-provider`}>Provider</label>
          <select id={`${id}-provider`} value={config.provider} onChange={set('provider')}>
            <option value="template">template (offline, deterministic)</option>
            <option value="openai">openai (OpenAI-compatible)</option>
            <option value="anthropic">anthropic</option>
          </select>
          <label htmlFor={`${id}-model`}>Model</label>
          <input
            id={`${id}-model`}
            value={config.model}
            onChange={set('model')}
            placeholder="the provider's default"
          />
          <label htmlFor={`${id}-prompt`}>System prompt</label>
          <textarea id={`${id}-prompt`} rows={3} value={config.systemPrompt} onChange={set('systemPrompt')} />
          <div className="grid-3">
            <div>
              <label htmlFor={`${id}-rpm`}>Requests per minute</label>
              <input
                id={`${id}-rpm`}
                type="number"
                min="1"
                value={config.requestsPerMinute}
                onChange={set('requestsPerMinute')}
                placeholder="50"
              />
            </div>
            <div>
              <label htmlFor={`${id}-concurrency`}>Concurrency</label>
              <input
                id={`${id}-concurrency`}
                type="number"
                min="1"
                max="256"
                value={config.concurrency}
                onChange={set('concurrency')}
                placeholder="3"
              />
            </div>
            <div>
              <label htmlFor={`${id}-budget`}>Budget (US dollars)</label>
              <input
                id={`${id}-budget`}
                type="number"
                min="0"
                step="0.01"
                value={config.maxCostUsd}
                onChange={set('maxCostUsd')}
                placeholder="none"
              />
            </div>
          </div>
          {config.provider === 'template' && (
            <>
              <label htmlFor={`${id}-latency`}>Simulated latency per item (ms)</label>
              <input
                id={`${id}-latency`}
                type="number"
                min="0"
                max="60000"
                value={config.latencyMs}
                onChange={set('latencyMs')}
                placeholder="0"
              />
            </>
          )}
          <div className="checkbox">
            <input
              id={`${id}-start`}
              type="checkbox"
              checked={autoStart}
              onChange={(event) => setAutoStart(event.target.checked)}
            />
            <label htmlFor={`${id}-start`}>Start at once</label>
          </div>
        </fieldset>

        <div className="toolbar">
          <button
            type="submit"
            className="button button-primary"
            disabled={!canSubmit}
            aria-busy={create.pending}
          >
            {create.pending ? 'Creating…' : 'Create batch'}
          </button>
          {uploaded !== null && parsed && (
            <span role="status">
              Uploaded {formatCount(uploaded)} of {formatCount(parsed.items.length)} items
            </span>
          )}
        </div>
      </form>
    </section>
  );
}
