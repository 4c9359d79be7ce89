export { createClient, type BatchClient, type ListBatchesOptions, type ListItemsOptions } from './client.js';
export type { ClientOptions } from './http.js';
export { ApiError, isApiError } from './api-error.js';
export type { LargeBatchOptions } from './large-batch.js';
export { MAX_REQUEST_BODY_BYTES, type ChunkLimits } from './upload-chunks.js';
export type {
  ApiErrorCode,
  BatchConfig,
  BatchList,
  BatchStatus,
  BatchView,
  CleanupResult,
  ConfigOverrides,
  CreateBatchBody,
  ItemPage,
  ItemSpec,
  ItemStatus,
  ItemView,
  RecoverResult,
  ResultLine,
  ResumeBody,
} from '@batch/contracts';
