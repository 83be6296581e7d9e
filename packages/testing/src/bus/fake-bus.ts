import {
  Dispatcher,
  type BatchEntry,
  type BatchOptions,
  type ChainOptions,
  type Handler,
  type QueuedChain,
} from '@epilogue/bus';
import type { Application } from '@epilogue/core';
import { checkNotInstalled, track } from '../support/fakes.js';
import { jobFilter, type FakeOptions } from '../support/job-filter.js';
import { patchMethods } from '../support/patch.js';
import { BusFake, type ChainRecord, type DispatchedJob } from './bus-fake.js';

/** Options of `fakeBus()`. */
export type FakeBusOptions = FakeOptions;

const DONE: Promise<undefined> = Promise.resolve(undefined);

/**
 * Fakes the application's bus: the jobs it fakes are recorded instead of run (or queued), and
 * the returned `BusFake` asserts on them. Every way in is recorded — `dispatcher.dispatch()` and
 * its siblings, `Job.dispatch()`, `Job.dispatchSync()`, `Job.dispatchAfterResponse()`,
 * `PendingDispatch` options and chains — because the fake stands in for the one `Dispatcher` of
 * the application, including in services that took it in their constructor before.
 *
 * Jobs that are not faked (see `only` and `except`) go to the real dispatcher unchanged. A batch
 * (`bus.batch([...]).dispatch()`) is faked when any of its jobs is (an empty one always): it is
 * recorded for `assertBatched()`, none of its jobs runs, and `dispatch()` resolves to a `Batch`
 * that `bus.findBatch(id)` finds.
 *
 * How: the fake replaces the dispatch methods on the application's `Dispatcher` instance itself
 * (not on its class), and `restore()` deletes them again. Other applications, and this one
 * without a fake, run the class's own methods: faking costs nothing when it is not used.
 *
 * @param app - The application whose bus to fake.
 * @param options - `only`: fake just these job classes; `except`: fake all but these.
 * @returns The fake, with the assertions and `restore()`.
 * @throws {FakeAlreadyInstalledError} When the bus of `app` is already faked.
 * @throws {InvalidFakeOptionError} When `only` or `except` is not a list of classes.
 * @example
 * const bus = fakeBus(app);
 * await request(app, listener).post('/register', { email: 'ada@example.com' });
 * bus.assertDispatchedAfterResponse(SendWelcomeEmail);
 */
export function fakeBus(app: Application, options: FakeBusOptions = {}): BusFake {
  const fakes = jobFilter('fakeBus', options);
  const dispatcher = app.container.resolve(Dispatcher);
  checkNotInstalled('fakeBus', dispatcher);
  const fake = new BusFake(() => undo());
  const record = (entry: DispatchedJob) => {
    fake.record(entry);
    return DONE;
  };
  // `real` holds the methods as they are now: the class's, or whatever replaced them before this fake.
  const undo = patchMethods(dispatcher, (real) => ({
    dispatch: (job: object) => (fakes(job) ? record({ job, method: 'dispatch' }) : real.dispatch(job)),
    dispatchNow: (job: object, handler?: Handler) =>
      fakes(job) ? record({ job, method: 'dispatchNow' }) : real.dispatchNow(job, handler),
    dispatchSync: (job: object) => (fakes(job) ? record({ job, method: 'dispatchSync' }) : real.dispatchSync(job)),
    dispatchAfterResponse: (job: object) =>
      fakes(job) ? record({ job, method: 'dispatchAfterResponse' }) : real.dispatchAfterResponse(job),
    dispatchToQueue: (job: object, chain?: QueuedChain) =>
      fakes(job)
        ? record({ job, method: 'dispatchToQueue', ...(chain && { chain: chainRecord(chain.jobs, chain) }) })
        : real.dispatchToQueue(job, chain),
    dispatchChain: (jobs: readonly object[], chainOptions: ChainOptions = {}) =>
      Array.isArray(jobs) && fakes(jobs[0])
        ? record({ job: jobs[0], method: 'dispatchChain', chain: chainRecord(jobs.slice(1), chainOptions) })
        : real.dispatchChain(jobs, chainOptions),
    dispatchBatch: (jobs: readonly BatchEntry[], batchOptions: BatchOptions = {}) =>
      fakesBatch(jobs, fakes) ? fake.batches.dispatch(jobs, batchOptions) : real.dispatchBatch(jobs, batchOptions),
    findBatch: (id: string) => (fake.batches.has(id) ? fake.batches.find(id) : real.findBatch(id)),
  }));
  track(fake, 'fakeBus', dispatcher);
  return fake;
}

// Anything that is not a list goes to the fake too, which refuses it as the bus would.
function fakesBatch(jobs: readonly BatchEntry[], fakes: (job: unknown) => boolean): boolean {
  if (!Array.isArray(jobs)) return true;
  const all = (jobs as readonly unknown[]).flat().filter(Boolean);
  return all.length === 0 || all.some(fakes);
}

function chainRecord(jobs: readonly object[], options: ChainOptions | QueuedChain): ChainRecord {
  const { connection, queue, delay } = options;
  return {
    jobs: [...jobs],
    catch: [...(options.catch ?? [])],
    ...(connection !== undefined && { connection }),
    ...(queue !== undefined && { queue }),
    ...(delay !== undefined && { delay }),
  };
}
