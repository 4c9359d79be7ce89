import { describe, expect, it } from '@jest/globals';
import { BatchConfig } from './batch-config.js';
import {
  missingVariableMessage,
  renderTemplate,
  requiredVariables,
  templateChecker,
  templateIssue,
} from './prompt-template.js';
import { validate } from './validation.js';

const item = { id: 'i-1', topic: 'tides', parameters: { tone: 'playful', level: { name: 'A2' } } };

describe('prompt templates', () => {
  it('render the item id, topic and parameters, nested ones too, without HTML escaping', () => {
    expect(
      renderTemplate(
        '{{id}}: {{topic}} in a {{parameters.tone}} tone at {{parameters.level.name}} <&>',
        item,
      ),
    ).toBe('i-1: tides in a playful tone at A2 <&>');
    expect(
      renderTemplate('Q&A on {{parameters.q}}', { id: 'x', topic: 't', parameters: { q: '"a" < b' } }),
    ).toBe('Q&A on "a" < b');
  });

  it('need the variables outside sections; a section is a condition', () => {
    expect(
      requiredVariables(
        '{{topic}} {{{parameters.raw}}} {{#parameters.tags}}{{name}}{{/parameters.tags}} {{topic}}',
      ),
    ).toEqual(['topic', 'parameters.raw']);
    expect(
      renderTemplate('{{topic}}{{#parameters.extra}} ({{parameters.extra}}){{/parameters.extra}}', item),
    ).toBe('tides');
  });

  it('find the first variable an item has no value for (absent or null), in either template', () => {
    const check = templateChecker({
      systemPrompt: 'You teach {{parameters.level.name}}',
      userPromptTemplate: '{{parameters.tone}}',
    });
    expect(check(item)).toBeUndefined();
    expect(check({ id: 'i-2', topic: 't', parameters: { level: { name: 'B1' } } })).toEqual({
      template: 'userPromptTemplate',
      variable: 'parameters.tone',
    });
    expect(check({ id: 'i-3', topic: 't', parameters: { tone: 'dry', level: null } })).toEqual({
      template: 'systemPrompt',
      variable: 'parameters.level.name',
    });
    expect(
      missingVariableMessage('i-2', { template: 'userPromptTemplate', variable: 'parameters.tone' }),
    ).toBe('item i-2 has no value for {{parameters.tone}} used in userPromptTemplate');
    expect(templateChecker(undefined)(item)).toBeUndefined();
  });

  it('refuse a template that does not parse, and partials (which would read other templates)', () => {
    expect(templateIssue('{{#open}} never closed')).toMatch(/^not a valid template: Unclosed section "open"/);
    expect(templateIssue('{{> header}} hi')).toBe('partials ({{> header}}) are not supported');
    expect(templateIssue('plain {{topic}}')).toBeUndefined();
    const refused = validate(BatchConfig, { userPromptTemplate: 'About {{topic', systemPrompt: '{{>x}}' });
    expect(refused.success).toBe(false);
    expect(refused.success ? [] : refused.issues.map((issue) => issue.field).sort()).toEqual([
      'systemPrompt',
      'userPromptTemplate',
    ]);
  });
});
