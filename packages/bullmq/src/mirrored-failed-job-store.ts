import type { FailedJobRecord, FailedJobStore } from '@epilogue/queue';
import type { Queue } from 'bullmq';

/**
 * The BullMQ driver's failed store: the store it was given (Epilogue's record of failed jobs,
 * which `queue:failed`, `queue:retry` and `queue:forget` read), kept in step with the copy of
 * each failed job that the driver leaves in BullMQ's failed set for dashboards such as bull-board.
 *
 * Forgetting a record (which `queue:retry` does before it pushes the job again, and
 * `queue:forget` does) and flushing remove the copies too. A copy removed from the dashboard
 * (its clean button) only removes the copy: the record stays, and `queue:retry` still works.
 */
export class MirroredFailedJobStore implements FailedJobStore {
  readonly #records: FailedJobStore;
  readonly #queue: (name: string) => Queue;

  /**
   * @param records - Where the records are kept: the source of truth.
   * @param queue - The BullMQ queue of a given name, whose failed set holds the copies.
   */
  constructor(records: FailedJobStore, queue: (name: string) => Queue) {
    this.#records = records;
    this.#queue = queue;
  }

  log(record: FailedJobRecord): Promise<void> {
    return this.#records.log(record);
  }

  list(): Promise<FailedJobRecord[]> {
    return this.#records.list();
  }

  find(id: string): Promise<FailedJobRecord | undefined> {
    return this.#records.find(id);
  }

  async forget(id: string): Promise<boolean> {
    const record = await this.#records.find(id);
    // The copy goes first: when its removal fails, the record is still there and a retry that
    // called this rejects, instead of pushing a job whose id BullMQ still holds (it would ignore it).
    if (record !== undefined) await this.#removeCopy(record);
    return this.#records.forget(id);
  }

  async flush(): Promise<number> {
    for (const record of await this.#records.list()) await this.#removeCopy(record);
    return this.#records.flush();
  }

  // Only a copy that is still in the failed set: a job that was retried from the dashboard
  // meanwhile is waiting or running again, and is not this store's to remove.
  async #removeCopy(record: FailedJobRecord): Promise<void> {
    const job = await this.#queue(record.queue).getJob(record.id);
    if (job !== undefined && (await job.getState()) === 'failed') await job.remove();
  }
}
