import type { FailedJobRecord, FailedJobStore } from './failed-job-store.js';

/**
 * A failed store in this process's memory: what `SyncDriver` and `MemoryDriver` use unless given
 * another. Records are lost when the process ends.
 */
export class MemoryFailedJobStore implements FailedJobStore {
  readonly #records = new Map<string, FailedJobRecord>();

  async log(record: FailedJobRecord): Promise<void> {
    // Deleting first moves a re-failed job to the end: the list stays in order of failure.
    this.#records.delete(record.id);
    this.#records.set(record.id, record);
  }

  async list(): Promise<FailedJobRecord[]> {
    return [...this.#records.values()];
  }

  async find(id: string): Promise<FailedJobRecord | undefined> {
    return this.#records.get(id);
  }

  async forget(id: string): Promise<boolean> {
    return this.#records.delete(id);
  }

  async flush(): Promise<number> {
    const count = this.#records.size;
    this.#records.clear();
    return count;
  }
}
