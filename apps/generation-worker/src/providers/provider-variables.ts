/**
 * The worker's environment variables each metered provider reads beside its settings schema: the
 * default key and the default base URL. A batch may name another key variable among
 * PROVIDER_CREDENTIALS (the operator's names, so no fixed list has them).
 */
export const PROVIDER_VARIABLES = {
  openai: { key: 'OPENAI_API_KEY', baseUrl: 'OPENAI_BASE_URL' },
  anthropic: { key: 'ANTHROPIC_API_KEY', baseUrl: 'ANTHROPIC_BASE_URL' },
} as const;
