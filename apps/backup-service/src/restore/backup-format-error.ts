/** The backup cannot be restored at all: not JSON, or not a document of ours. Nothing was written. */
export class BackupFormatError extends Error {
  readonly code = 'backup_format' as const;
  constructor(message: string) {
    super(message);
    this.name = 'BackupFormatError';
  }
}

export const isBackupFormatError = (error: unknown): error is BackupFormatError =>
  error instanceof BackupFormatError;
