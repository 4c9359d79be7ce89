import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { NestExpressApplication } from '@nestjs/platform-express';
import express, { type NextFunction, type Request, type Response } from 'express';

/** The console's build, beside the gateway's sources in this repository (CONSOLE_DIR elsewhere). */
export const DEFAULT_CONSOLE_DIR = fileURLToPath(new URL('../../../console/dist', import.meta.url));

/** The API's paths: never a file, never a page. */
const API_PATHS = /^\/(api|ws|batch|healthz|readyz|metrics)(\/|$)/;
/** The console's built files: a browser asking gets what is there, never a page. */
const ASSETS = /^\/assets(\/|$)/;

/**
 * Serves the web console's static files at `/` (no token: the files hold none), and its
 * index.html for any other page a browser opens (the console routes in the page), when it is built.
 * Hashed assets are cached for a year; index.html is checked every time, so a new build shows.
 */
export function serveConsole(app: NestExpressApplication, dir: string): boolean {
  const index = join(dir, 'index.html');
  if (!existsSync(index)) return false;
  const files = express.static(dir, {
    index: 'index.html',
    setHeaders: (response, path) =>
      response.setHeader(
        'Cache-Control',
        path.startsWith(join(dir, 'assets')) ? 'public, max-age=31536000, immutable' : 'no-cache',
      ),
  });
  // An API request never looks for a file: the lookup (a stat per request) was 9% of the
  // gateway's CPU under read load.
  app.use((request: Request, response: Response, next: NextFunction) =>
    API_PATHS.test(request.path) ? next() : files(request, response, next),
  );
  app.use((request: Request, response: Response, next: NextFunction) => {
    const page =
      (request.method === 'GET' || request.method === 'HEAD') &&
      !API_PATHS.test(request.path) &&
      !ASSETS.test(request.path) &&
      (request.headers.accept ?? '').includes('text/html');
    if (!page) return next();
    response.setHeader('Cache-Control', 'no-cache');
    response.sendFile(index);
  });
  return true;
}
