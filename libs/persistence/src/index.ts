export { createConversationSaver, type ConversationSaver } from './conversations/conversation-saver.js';
export {
  findConversationIds,
  saveConversations,
  type ConversationInput,
  type ConversationTurnInput,
  type SavedConversation,
} from './conversations/conversation.repository.js';
export { createDataSource, runMigrations, type DataSourceSettings } from './data-source.factory.js';
export {
  createBatchProjector,
  type AppliedBatch,
  type BatchProjector,
  type BatchProjectorOptions,
  type RefusedCommit,
} from './projection/batch.projector.js';
export { countSetAside } from './projection/set-aside.js';
export {
  rebuildProjections,
  type RebuildOptions,
  type RebuildResult,
} from './projection/rebuild-projections.js';
export { listItems, type ListItemsQuery } from './queries/batch-items.queries.js';
export {
  batchViewJson,
  listBatchesJson,
  type BatchListJson,
  type BatchViewJson,
} from './queries/batch-json.queries.js';
export { batchStats } from './queries/batch-stats.queries.js';
export {
  exportPage,
  type ExportPageQuery,
  type ExportRow,
  type ExportTurn,
} from './queries/batch-results.queries.js';
export {
  batchCountsByStatus,
  deleteBatchRows,
  endedBatchIds,
  itemsSettledTotal,
  getBatchView,
  incompleteBatchViews,
  listBatchViews,
  runningBatchIds,
  type ListBatchesQuery,
} from './queries/batch.queries.js';
export { decodeCursor, encodeCursor } from './queries/page-cursor.js';
export { progressPercent, type BatchView, type ItemView, type Page } from './queries/batch-views.js';
export {
  deleteConversations,
  getConversation,
  listConversations,
  type ListConversationsQuery,
} from './queries/conversations.queries.js';
export { inTransaction } from './sql.js';
