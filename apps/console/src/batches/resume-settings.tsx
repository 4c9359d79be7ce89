import type { ConfigOverrides } from '@batch/client';
import { useId } from 'react';

/** What a resume may change (the README's resume `configOverrides`): empty fields are left as they were. */
export interface ResumeSettingsValue {
  model: string;
  systemPrompt: string;
  credential: string;
  maxCostUsd: string;
}

export const NO_RESUME_SETTINGS: ResumeSettingsValue = {
  model: '',
  systemPrompt: '',
  credential: '',
  maxCostUsd: '',
};

export function overridesOf(value: ResumeSettingsValue): ConfigOverrides | undefined {
  const overrides: ConfigOverrides = {};
  if (value.model.trim()) overrides.model = value.model.trim();
  if (value.systemPrompt.trim()) overrides.systemPrompt = value.systemPrompt;
  if (value.credential.trim()) overrides.credential = value.credential.trim();
  if (value.maxCostUsd.trim()) overrides.maxCostUsd = Number(value.maxCostUsd);
  return Object.keys(overrides).length > 0 ? overrides : undefined;
}

export function ResumeSettings({
  value,
  onChange,
  current,
}: {
  value: ResumeSettingsValue;
  onChange: (value: ResumeSettingsValue) => void;
  /** The batch's config now, shown as placeholders. */
  current?: { model?: string; credential?: string; maxCostUsd?: number };
}) {
  const id = useId();
  const set = (field: keyof ResumeSettingsValue) => (event: { target: { value: string } }) =>
    onChange({ ...value, [field]: event.target.value });
  return (
    <fieldset className="settings">
      <legend>Changed settings (optional)</legend>
      <label htmlFor={`${id}-model`}>Model</label>
      <input
        id={`${id}-model`}
        value={value.model}
        onChange={set('model')}
        placeholder={current?.model ?? 'unchanged'}
      />
      <label htmlFor={`${id}-prompt`}>System prompt</label>
      <textarea
        id={`${id}-prompt`}
        rows={3}
        value={value.systemPrompt}
        onChange={set('systemPrompt')}
        placeholder="unchanged"
      />
      <label htmlFor={`${id}-credential`}>Credential (name of an environment variable)</label>
      <input
        id={`${id}-credential`}
        value={value.credential}
        onChange={set('credential')}
        placeholder={current?.credential ?? 'e.g. OPENAI_API_KEY_TEAM_B'}
        pattern="[A-Z][A-Z0-9_]*"
        autoComplete="off"
      />
      <label htmlFor={`${id}-budget`}>Budget (US dollars)</label>
      <input
        id={`${id}-budget`}
        type="number"
        min="0"
        step="0.01"
        inputMode="decimal"
        value={value.maxCostUsd}
        onChange={set('maxCostUsd')}
        placeholder={current?.maxCostUsd !== undefined ? String(current.maxCostUsd) : 'none'}
      />
    </fieldset>
  );
}
