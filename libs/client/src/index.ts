export {
  createClient,
  type BatchClient,
  type ExportOptions,
  type ListBatchesOptions,
  type ListItemsOptions,
} from './client.js';
export type { ClientOptions } from './http.js';
export { ApiError, isApiError } from './api-error.js';
export type { LargeBatchOptions } from './large-batch.js';
export { MAX_REQUEST_BODY_BYTES, type ChunkLimits } from './upload-chunks.js';
export {
  connectNotifications,
  type NotificationHandlers,
  type NotificationsEnd,
  type NotificationsOptions,
  type NotificationsSocket,
  type NotificationsState,
  type Reconnecting,
  type RefusedMessage,
  type ResyncMessage,
  type WebSocketConstructor,
  type WebSocketLike,
} from './notifications-socket.js';
export { notificationsUrl } from './notifications-url.js';
export { backoffDelay, DEFAULT_BACKOFF, type BackoffOptions } from './reconnect-backoff.js';
/** The API's schemas (zod): each is also the type of what it validates. */
export {
  ApiErrorCode,
  BatchConfig,
  BatchList,
  BatchProgressPayload,
  BatchStats,
  BatchStatus,
  BatchStatusPayload,
  BatchView,
  CleanupResult,
  ConfigOverrides,
  ControlMessage,
  CreateBatchBody,
  ErrorNotificationPayload,
  ItemPage,
  ItemSpec,
  ItemStatus,
  ItemView,
  Notification,
  NotificationType,
  RecoverResult,
  ResultLine,
  ResumeBody,
  Topic,
} from '@batch/contracts';
