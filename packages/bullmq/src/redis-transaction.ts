/** What ioredis's `multi().exec()` resolves to: each command's error and result, or null when it was discarded. */
export type TransactionResult = [error: Error | null, result: unknown][] | null;

/**
 * The results of a transaction, in order.
 *
 * @throws The first command's error, when a command failed.
 */
export function checkTransaction(results: TransactionResult): unknown[] {
  if (results === null) return [];
  for (const [error] of results) if (error !== null) throw error;
  return results.map(([, result]) => result);
}
