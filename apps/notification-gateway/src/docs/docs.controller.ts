import { Controller, Get } from '@nestjs/common';
import { SkipThrottle } from '@nestjs/throttler';
import { asyncApiDocument } from '@batch/contracts';
import { Public } from '../auth/public.decorator.js';
import { openApiDocument } from './openapi.document.js';

const openApi = openApiDocument();
const asyncApi = asyncApiDocument();

/** The machine-readable contracts; the Swagger UI at /api/docs reads the first. */
@Public()
@SkipThrottle()
@Controller('api')
export class DocsController {
  @Get('openapi.json')
  openApi() {
    return openApi;
  }

  @Get('asyncapi.json')
  asyncApi() {
    return asyncApi;
  }
}
