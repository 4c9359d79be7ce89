import Mustache from 'mustache';
import type { ItemSpec } from './items.js';

/**
 * Prompt templates: a batch's `systemPrompt` and `userPromptTemplate` are Mustache templates over
 * each item (`{{topic}}`, `{{id}}`, `{{parameters.tone}}`). Mustache is logic-less: no code runs, and
 * partials (the one way a template could read another) are refused. Values are inserted as written:
 * prompts are not HTML.
 */
export const TEMPLATE_FIELDS = ['systemPrompt', 'userPromptTemplate'] as const;
export type TemplateField = (typeof TEMPLATE_FIELDS)[number];

type Spans = ReturnType<typeof Mustache.parse>;

/** What a template is rendered with: the item's id, topic and parameters. */
const viewOf = (item: ItemSpec) => ({ id: item.id, topic: item.topic, parameters: item.parameters ?? {} });

/** Why a template cannot be used (a syntax error, a partial), or undefined when it can. */
export function templateIssue(template: string): string | undefined {
  let spans: Spans;
  try {
    spans = Mustache.parse(template);
  } catch (error) {
    return `not a valid template: ${(error as Error).message}`;
  }
  const partial = findSpan(spans, (span) => span[0] === '>');
  return partial ? `partials ({{> ${partial[1]}}}) are not supported` : undefined;
}

function findSpan(spans: Spans, wanted: (span: Spans[number]) => boolean): Spans[number] | undefined {
  for (const span of spans) {
    if (wanted(span)) return span;
    const inner = span[4];
    if (Array.isArray(inner)) {
      const found = findSpan(inner, wanted);
      if (found) return found;
    }
  }
  return undefined;
}

/**
 * The variables a template needs every item to have: those outside sections. A section
 * (`{{#parameters.tags}}...{{/parameters.tags}}`) is a condition, so its name and what is inside may
 * be absent. A template that does not parse needs nothing (the config was refused before).
 */
export function requiredVariables(template: string): string[] {
  try {
    const names = Mustache.parse(template)
      .filter((span) => (span[0] === 'name' || span[0] === '&') && span[1] !== '.')
      .map((span) => span[1]);
    return [...new Set(names)];
  } catch {
    return [];
  }
}

function valueAt(view: Record<string, unknown>, path: string): unknown {
  let value: unknown = view;
  for (const key of path.split('.')) {
    if (value === null || typeof value !== 'object' || !Object.hasOwn(value, key)) return undefined;
    value = (value as Record<string, unknown>)[key];
  }
  return value;
}

export interface MissingVariable {
  template: TemplateField;
  variable: string;
}

/**
 * Checks items against a config's templates, compiling them once: the first variable an item has no
 * value for (absent or null), or undefined.
 */
export function templateChecker(
  config: Partial<Record<TemplateField, string>> | undefined,
): (item: ItemSpec) => MissingVariable | undefined {
  const required = TEMPLATE_FIELDS.flatMap((template) => {
    const text = config?.[template];
    return text === undefined ? [] : requiredVariables(text).map((variable) => ({ template, variable }));
  });
  if (required.length === 0) return () => undefined;
  return (item) => {
    const view = viewOf(item);
    return required.find(({ variable }) => valueAt(view, variable) == null);
  };
}

/** The message a missing variable is refused with, naming the item, the variable and the template. */
export const missingVariableMessage = (itemId: string, { template, variable }: MissingVariable): string =>
  `item ${itemId} has no value for {{${variable}}} used in ${template}`;

/** The template rendered for an item, values inserted unescaped. */
export const renderTemplate = (template: string, item: ItemSpec): string =>
  Mustache.render(template, viewOf(item), undefined, { escape: String });
