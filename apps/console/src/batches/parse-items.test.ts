import { describe, expect, it } from 'vitest';
import { csvRows, detectFormat, parseItems } from './parse-items';

describe('parseItems', () => {
  it('reads JSONL lines {id, topic, parameters?}, skipping blank lines', () => {
    const parsed = parseItems(
      '{"id":"1","topic":"a"}\n\n{"id":2,"topic":"b","parameters":{"tone":"warm"}}\n',
    );
    expect(parsed).toEqual({
      format: 'jsonl',
      errors: [],
      items: [
        { id: '1', topic: 'a' },
        { id: '2', topic: 'b', parameters: { tone: 'warm' } },
      ],
    });
  });

  it('names the JSONL lines that are wrong', () => {
    const parsed = parseItems(
      '{"id":"1","topic":"a"}\nnot json\n{"id":"1","topic":"b"}\n{"topic":"c"}',
      'jsonl',
    );
    expect(parsed.errors).toEqual([
      'line 2: not JSON',
      'line 3: id 1 is used twice',
      'line 4: id is missing',
    ]);
    expect(parsed.items).toHaveLength(1);
  });

  it('reads CSV with a header id,topic; the other columns become parameters', () => {
    const parsed = parseItems('id,topic,tone,persona\r\n1,"Refund, late order",warm,\n2,"Say ""hi""",,bob\n');
    expect(parsed.format).toBe('csv');
    expect(parsed.errors).toEqual([]);
    expect(parsed.items).toEqual([
      { id: '1', topic: 'Refund, late order', parameters: { tone: 'warm' } },
      { id: '2', topic: 'Say "hi"', parameters: { persona: 'bob' } },
    ]);
  });

  it('refuses a CSV without id and topic columns', () => {
    expect(parseItems('name,text\nx,y', 'csv').errors).toEqual([
      'the CSV header must name the columns id and topic',
    ]);
  });

  it('keeps line breaks inside quoted CSV fields', () => {
    expect(csvRows('a,b\n"x\ny",z')).toEqual([
      ['a', 'b'],
      ['x\ny', 'z'],
    ]);
  });

  it('detects the format from the file name, else from the text', () => {
    expect(detectFormat('{"id":1}', 'items.csv')).toBe('csv');
    expect(detectFormat('id,topic', 'items.jsonl')).toBe('jsonl');
    expect(detectFormat('  {"id":1}')).toBe('jsonl');
    expect(detectFormat('id,topic')).toBe('csv');
  });
});
