import { Injectable } from '@nestjs/common';
import { ThrottlerGuard } from '@nestjs/throttler';
import type { AuthenticatedRequest } from './auth.guard.js';

/** Limits each user (not each address: many users share a proxy), after the token is verified. */
@Injectable()
export class UserThrottlerGuard extends ThrottlerGuard {
  protected override async getTracker(request: Record<string, unknown>): Promise<string> {
    const { userId, ip } = request as unknown as AuthenticatedRequest;
    return userId ?? ip ?? 'unknown';
  }
}
