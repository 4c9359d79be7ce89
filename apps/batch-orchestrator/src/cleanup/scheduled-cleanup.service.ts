import {
  Inject,
  Injectable,
  type BeforeApplicationShutdown,
  type OnApplicationBootstrap,
} from '@nestjs/common';
import { Cron } from 'croner';
import { LOGGER, SETTINGS, type Logger } from '@batch/platform';
import { BatchCommandsService } from '../commands/batch-commands.service.js';
import type { OrchestratorConfig } from '../config/orchestrator.config.js';
import { CLEANUP_TIME_ZONE } from './cleanup-schedule.js';

/**
 * With `CLEANUP_SCHEDULE` set, removes every user's batches that ended more than `CLEANUP_DAYS_OLD`
 * days ago, on that schedule: the same cleanup as `POST /api/v1/batches/cleanup`, for all users.
 * A run never overlaps the one before, and shutdown waits for a run under way. Each replica runs
 * it: a second run finds nothing left to remove.
 */
@Injectable()
export class ScheduledCleanupService implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private job?: Cron;
  private running?: Promise<void>;

  constructor(
    @Inject(SETTINGS) private readonly settings: OrchestratorConfig,
    @Inject(LOGGER) private readonly logger: Logger,
    private readonly commands: BatchCommandsService,
  ) {}

  onApplicationBootstrap(): void {
    const { CLEANUP_SCHEDULE: schedule, CLEANUP_DAYS_OLD: daysOld } = this.settings;
    if (schedule === undefined) return;
    this.job = new Cron(schedule, { timezone: CLEANUP_TIME_ZONE, protect: true }, () => {
      this.running = this.run(daysOld);
      return this.running;
    });
    this.logger.info({ schedule, daysOld, nextRun: this.job.nextRun()?.toISOString() }, 'cleanup scheduled');
  }

  private async run(daysOld: number): Promise<void> {
    try {
      const { cleaned_count: cleanedCount } = await this.commands.cleanup({ daysOld });
      this.logger.info({ cleanedCount, daysOld }, 'scheduled cleanup done');
    } catch (error) {
      this.logger.error({ err: error, daysOld }, 'scheduled cleanup failed');
    }
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.job?.stop();
    await this.running;
  }
}
