import { describe, expect, it } from '@jest/globals';
import { z } from 'zod';
import { baseSettings, parseSettings, positiveInt, SettingsError } from './settings.js';

const service = baseSettings.extend({ WORK_WINDOW: positiveInt.default(10), SECRET: z.string().optional() });

describe('parseSettings', () => {
  it('fills the defaults of the base settings and of the service', () => {
    const settings = parseSettings(service, {});
    expect(settings).toMatchObject({
      NATS_URL: 'nats://127.0.0.1:4222',
      DATABASE_SCHEMA: 'public',
      LOG_LEVEL: 'info',
      SHUTDOWN_GRACE_MS: 25_000,
      WORK_WINDOW: 10,
    });
    expect(settings.OPS_PORT).toBeUndefined();
  });

  it('counts an empty variable as unset, for every key', () => {
    const settings = parseSettings(service, { LOG_LEVEL: '', WORK_WINDOW: '', SECRET: '', OPS_PORT: '' });
    expect(settings).toMatchObject({ LOG_LEVEL: 'info', WORK_WINDOW: 10 });
    expect(settings.SECRET).toBeUndefined();
    expect(settings.OPS_PORT).toBeUndefined();
  });

  it('coerces numbers and keeps the values it was given', () => {
    expect(parseSettings(service, { OPS_PORT: '0', WORK_WINDOW: '7', NATS_NAMESPACE: 't_1' })).toMatchObject({
      OPS_PORT: 0,
      WORK_WINDOW: 7,
      NATS_NAMESPACE: 't_1',
    });
  });

  it('refuses bad values naming every variable at fault', () => {
    const parse = () =>
      parseSettings(service, {
        LOG_LEVEL: 'loud',
        WORK_WINDOW: '-1',
        OPS_PORT: '70000',
        NATS_NAMESPACE: 'a.b',
      });
    expect(parse).toThrow(SettingsError);
    try {
      parse();
    } catch (error) {
      const problems = (error as SettingsError).problems;
      expect(problems.map((problem) => problem.split(':')[0]).sort()).toEqual([
        'LOG_LEVEL',
        'NATS_NAMESPACE',
        'OPS_PORT',
        'WORK_WINDOW',
      ]);
    }
  });
});
