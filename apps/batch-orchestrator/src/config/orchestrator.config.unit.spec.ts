import { describe, expect, it } from '@jest/globals';
import { parseSettings } from '@batch/platform';
import { OrchestratorConfig } from './orchestrator.config.js';

describe('the cleanup schedule settings', () => {
  it('are off by default, keeping 7 days', () => {
    const settings = parseSettings(OrchestratorConfig, {});
    expect(settings.CLEANUP_SCHEDULE).toBeUndefined();
    expect(settings.CLEANUP_DAYS_OLD).toBe(7);
  });

  it('take a cron expression with 5 or 6 fields and a number of days', () => {
    const settings = parseSettings(OrchestratorConfig, {
      CLEANUP_SCHEDULE: '0 2 * * *',
      CLEANUP_DAYS_OLD: '30',
    });
    expect(settings).toMatchObject({ CLEANUP_SCHEDULE: '0 2 * * *', CLEANUP_DAYS_OLD: 30 });
    expect(parseSettings(OrchestratorConfig, { CLEANUP_SCHEDULE: '*/5 * * * * *' }).CLEANUP_SCHEDULE).toBe(
      '*/5 * * * * *',
    );
  });

  it('stop the service naming the variable when they are wrong', () => {
    expect(() => parseSettings(OrchestratorConfig, { CLEANUP_SCHEDULE: 'daily' })).toThrow(
      /CLEANUP_SCHEDULE: a cron expression/,
    );
    expect(() => parseSettings(OrchestratorConfig, { CLEANUP_SCHEDULE: '0 25 * * *' })).toThrow(
      /CLEANUP_SCHEDULE/,
    );
    expect(() => parseSettings(OrchestratorConfig, { CLEANUP_DAYS_OLD: '-1' })).toThrow(/CLEANUP_DAYS_OLD/);
  });
});
