import type { Api } from '../api/api-context';

/**
 * Saves `GET /batches/:id/results` (JSONL) as a file. The route needs the bearer header, so it is
 * fetched and handed to the browser as a blob rather than opened as a link.
 */
export async function downloadResults(api: Api, batchId: string, fileName: string): Promise<number> {
  const response = await api.authorizedFetch(`/api/v1/batches/${encodeURIComponent(batchId)}/results`);
  const blob = await response.blob();
  const url = URL.createObjectURL(blob);
  const link = document.createElement('a');
  link.href = url;
  link.download = fileName;
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
  return blob.size;
}

export const resultsFileName = (name: string, batchId: string): string =>
  `${(name || batchId).replace(/[^A-Za-z0-9._-]+/g, '-').slice(0, 80) || 'batch'}-results.jsonl`;
