/** A job that failed for good, as a failed store keeps it. */
export interface FailedJobRecord {
  /** The job's id (the payload's id). */
  readonly id: string;
  /** The queue it ran on. */
  readonly queue: string;
  /** The payload text, as pushed: retrying pushes it again. */
  readonly payload: string;
  /** The error it failed with: its code, message and stack. */
  readonly exception: string;
  /** When it failed, in milliseconds since the epoch. */
  readonly failedAt: number;
}

/**
 * Where a driver records jobs that failed for good. Each driver has one (`driver.failedJobs`):
 * in memory for `SyncDriver` and `MemoryDriver`, in Redis for a Redis driver so that every
 * machine sees the same failures. Retrying is done by `FailedJobs`, which pushes the payload back.
 */
export interface FailedJobStore {
  /** Records a failed job; a record with the same id is replaced. */
  log(record: FailedJobRecord): Promise<void>;
  /** Every record, oldest failure first. */
  list(): Promise<FailedJobRecord[]>;
  /** The record with this id, if any. */
  find(id: string): Promise<FailedJobRecord | undefined>;
  /**
   * Deletes the record with this id.
   *
   * @returns Whether there was one.
   */
  forget(id: string): Promise<boolean>;
  /**
   * Deletes every record.
   *
   * @returns How many there were.
   */
  flush(): Promise<number>;
}

/**
 * The text a failed store keeps for an error: `[code] ` when it has one, then its stack (or
 * name and message).
 *
 * @param error - Whatever the job failed with.
 */
export function formatException(error: unknown): string {
  if (!(error instanceof Error)) return `Non-error thrown: ${String(error)}`;
  const text = error.stack ?? `${error.name}: ${error.message}`;
  const code = (error as { code?: unknown }).code;
  return typeof code === 'string' ? `[${code}] ${text}` : text;
}
