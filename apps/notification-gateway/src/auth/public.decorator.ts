import { SetMetadata } from '@nestjs/common';

export const IS_PUBLIC = 'isPublic';

/** Routes anyone may call without a token: health, metrics, docs, the console's files. */
export const Public = () => SetMetadata(IS_PUBLIC, true);
