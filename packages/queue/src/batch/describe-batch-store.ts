import assert from 'node:assert/strict';
import type { BatchStore } from '@epilogue/bus';
import { globalRunner, type TestRunner } from '../testing/test-runner.js';
import { tick } from '../testing/waits.js';

/** Builds a fresh, empty store for one test (a Redis store: with a key prefix of its own). */
export type BatchStoreFactory = () => BatchStore | Promise<BatchStore>;

/** Options of `describeBatchStore()`. */
export interface BatchStoreSuiteOptions {
  /** The test runner; the global `describe`, `it`, `beforeEach` and `afterEach` by default. */
  runner?: TestRunner;
  /** Called after each test with its store, to delete its keys or close its client. */
  dispose?: (store: BatchStore) => void | Promise<void>;
}

/**
 * The conformance suite of the `BatchStore` contract: every batch store must pass it. It checks
 * the counters as Laravel keeps them (a failure leaves the job pending; a later success of the
 * same job takes it off the failed ids), cancelling, finishing, listing, pruning (finished,
 * unfinished and cancelled batches), and that
 * concurrent counter changes each see a different count, so that exactly one sees the last job go.
 * Assertions use `node:assert`, so any runner works.
 *
 * @param name - The store's name, for the test titles.
 * @param factory - Builds a fresh, empty store for each test.
 * @param options - The test runner and how to dispose of a store.
 * @throws {NoTestRunnerError} When no test runner is found.
 * @example
 * describeBatchStore('MemoryBatchStore', () => new MemoryBatchStore());
 */
export function describeBatchStore(name: string, factory: BatchStoreFactory, options: BatchStoreSuiteOptions = {}): void {
  const t = options.runner ?? globalRunner();
  let store: BatchStore;

  t.describe(`batch store conformance: ${name}`, () => {
    t.beforeEach(async () => {
      store = await factory();
    });
    t.afterEach(async () => {
      await options.dispose?.(store);
    });

    t.it('creates a batch without jobs, with its name and options, and finds it by id', async () => {
      const before = Date.now();
      const created = await store.create({ name: 'import 42', options: { queue: 'imports', nested: { list: [1, 'a'] } } });
      assert.equal(typeof created.id, 'string');
      assert.ok(created.id.length > 0);
      assert.ok(created.createdAt >= before - 1000 && created.createdAt <= Date.now() + 1000, `createdAt ${created.createdAt}`);
      const expected = {
        id: created.id,
        name: 'import 42',
        totalJobs: 0,
        pendingJobs: 0,
        failedJobs: 0,
        failedJobIds: [],
        options: { queue: 'imports', nested: { list: [1, 'a'] } },
        createdAt: created.createdAt,
        cancelledAt: null,
        finishedAt: null,
      };
      assert.deepEqual(created, expected);
      assert.deepEqual(await store.find(created.id), expected);
      const other = await store.create({ name: '', options: {} });
      assert.notEqual(other.id, created.id);
    });

    t.it('finds nothing for an unknown id, and ignores counter changes to one', async () => {
      assert.equal(await store.find('no-such-batch'), undefined);
      assert.equal(await store.decrementPendingJobs('no-such-batch', 'job'), undefined);
      assert.equal(await store.incrementFailedJobs('no-such-batch', 'job'), undefined);
      await store.incrementTotalJobs('no-such-batch', 3);
      await store.cancel('no-such-batch');
      await store.markAsFinished('no-such-batch');
      await store.delete('no-such-batch');
      assert.equal(await store.find('no-such-batch'), undefined);
    });

    t.it('adds jobs to the total and the pending jobs', async () => {
      const { id } = await store.create({ name: '', options: {} });
      await store.incrementTotalJobs(id, 3);
      await store.incrementTotalJobs(id, 2);
      const found = await store.find(id);
      assert.equal(found?.totalJobs, 5);
      assert.equal(found?.pendingJobs, 5);
    });

    t.it('keeps a failed job pending, and takes it off the failed ids when it succeeds later', async () => {
      const { id } = await store.create({ name: '', options: {} });
      await store.incrementTotalJobs(id, 3);
      assert.deepEqual(await store.decrementPendingJobs(id, 'a'), { pendingJobs: 2, failedJobs: 0 });
      assert.deepEqual(await store.incrementFailedJobs(id, 'b'), { pendingJobs: 2, failedJobs: 1 });
      assert.deepEqual(await store.incrementFailedJobs(id, 'c'), { pendingJobs: 2, failedJobs: 2 });
      assert.deepEqual([...(await store.find(id))!.failedJobIds].sort(), ['b', 'c']);
      // b is retried and succeeds: it leaves the failed ids; the failure count stays.
      assert.deepEqual(await store.decrementPendingJobs(id, 'b'), { pendingJobs: 1, failedJobs: 2 });
      const found = await store.find(id);
      assert.deepEqual(found?.failedJobIds, ['c']);
      assert.equal(found?.totalJobs, 3);
    });

    t.it('records a job that fails twice once among the failed ids', async () => {
      const { id } = await store.create({ name: '', options: {} });
      await store.incrementTotalJobs(id, 1);
      await store.incrementFailedJobs(id, 'a');
      assert.deepEqual(await store.incrementFailedJobs(id, 'a'), { pendingJobs: 1, failedJobs: 2 });
      assert.deepEqual((await store.find(id))?.failedJobIds, ['a']);
    });

    t.it('marks a batch finished once, keeping the first time', async () => {
      const { id } = await store.create({ name: '', options: {} });
      await store.markAsFinished(id);
      const first = (await store.find(id))?.finishedAt;
      assert.equal(typeof first, 'number');
      await tick(5);
      await store.markAsFinished(id);
      assert.equal((await store.find(id))?.finishedAt, first);
      assert.equal((await store.find(id))?.cancelledAt, null);
    });

    t.it('cancels a batch: cancelledAt and finishedAt set, once', async () => {
      const { id } = await store.create({ name: '', options: {} });
      await store.cancel(id);
      const cancelled = await store.find(id);
      assert.equal(typeof cancelled?.cancelledAt, 'number');
      assert.equal(cancelled?.finishedAt, cancelled?.cancelledAt);
      await tick(5);
      await store.cancel(id);
      assert.equal((await store.find(id))?.cancelledAt, cancelled?.cancelledAt);
    });

    t.it('keeps the finish time of a batch that finished before it was cancelled', async () => {
      const { id } = await store.create({ name: '', options: {} });
      await store.markAsFinished(id);
      const finishedAt = (await store.find(id))?.finishedAt;
      await tick(5);
      await store.cancel(id);
      const found = await store.find(id);
      assert.equal(found?.finishedAt, finishedAt);
      assert.ok((found?.cancelledAt ?? 0) > 0);
    });

    t.it('deletes a batch', async () => {
      const { id } = await store.create({ name: '', options: {} });
      const kept = await store.create({ name: 'kept', options: {} });
      await store.delete(id);
      assert.equal(await store.find(id), undefined);
      assert.equal((await store.find(kept.id))?.name, 'kept');
      assert.deepEqual((await store.list()).map((batch) => batch.id), [kept.id]);
    });

    t.it('lists batches newest first, a page at a time', async () => {
      const ids: string[] = [];
      for (let i = 0; i < 5; i++) ids.push((await store.create({ name: `b${i}`, options: {} })).id);
      const newest = [...ids].reverse();
      assert.deepEqual((await store.list()).map((batch) => batch.id), newest);
      const page = await store.list({ limit: 2 });
      assert.deepEqual(page.map((batch) => batch.id), newest.slice(0, 2));
      const next = await store.list({ limit: 2, after: page[1]!.id });
      assert.deepEqual(next.map((batch) => batch.id), newest.slice(2, 4));
      assert.deepEqual((await store.list({ after: newest[4]! })).map((batch) => batch.id), []);
    });

    t.it('prunes finished batches older than a time, and unfinished ones only when asked', async () => {
      const finished = await store.create({ name: 'finished', options: {} });
      const unfinished = await store.create({ name: 'unfinished', options: {} });
      const cancelled = await store.create({ name: 'cancelled', options: {} });
      await store.markAsFinished(finished.id);
      await store.cancel(cancelled.id);
      assert.equal(await store.prune(finished.createdAt - 60_000), 0);
      assert.equal(await store.prune(Date.now() + 60_000), 2);
      assert.equal(await store.find(finished.id), undefined);
      assert.equal(await store.find(cancelled.id), undefined);
      assert.equal((await store.find(unfinished.id))?.name, 'unfinished');
      assert.equal(await store.prune(Date.now() + 60_000, { unfinished: true }), 1);
      assert.deepEqual(await store.list(), []);
    });

    t.it('prunes only the unfinished batches created before a time with pruneUnfinished()', async () => {
      const finished = await store.create({ name: 'finished', options: {} });
      const unfinished = await store.create({ name: 'unfinished', options: {} });
      await store.markAsFinished(finished.id);
      assert.equal(await store.pruneUnfinished(unfinished.createdAt - 60_000), 0);
      assert.equal(await store.pruneUnfinished(Date.now() + 60_000), 1);
      assert.equal(await store.find(unfinished.id), undefined);
      assert.equal((await store.find(finished.id))?.name, 'finished');
      assert.deepEqual((await store.list()).map((batch) => batch.id), [finished.id]);
    });

    t.it('prunes only the cancelled batches created before a time with pruneCancelled()', async () => {
      const cancelled = await store.create({ name: 'cancelled', options: {} });
      const finished = await store.create({ name: 'finished', options: {} });
      const unfinished = await store.create({ name: 'unfinished', options: {} });
      await store.cancel(cancelled.id);
      await store.markAsFinished(finished.id);
      assert.equal(await store.pruneCancelled(cancelled.createdAt - 60_000), 0);
      assert.equal(await store.pruneCancelled(Date.now() + 60_000), 1);
      assert.equal(await store.find(cancelled.id), undefined);
      assert.deepEqual((await store.list()).map((batch) => batch.id), [unfinished.id, finished.id]);
      // Gone from every index: neither a later prune nor a listing sees it again.
      assert.equal(await store.prune(Date.now() + 60_000, { unfinished: true }), 2);
      assert.deepEqual(await store.list(), []);
    });

    t.it('gives each of many concurrent successes a different pending count: one sees 0', async () => {
      const { id } = await store.create({ name: '', options: {} });
      await store.incrementTotalJobs(id, 40);
      const counts = await Promise.all(Array.from({ length: 40 }, (_, i) => store.decrementPendingJobs(id, `j${i}`)));
      assert.deepEqual(
        counts.map((count) => count!.pendingJobs).sort((a, b) => a - b),
        Array.from({ length: 40 }, (_, i) => i),
      );
      assert.equal((await store.find(id))?.pendingJobs, 0);
    });

    t.it('keeps counts exact when successes and failures race: exactly one sees every job run', async () => {
      const { id } = await store.create({ name: '', options: {} });
      await store.incrementTotalJobs(id, 30);
      const counts = await Promise.all(
        Array.from({ length: 30 }, (_, i) =>
          i % 3 === 0 ? store.incrementFailedJobs(id, `j${i}`) : store.decrementPendingJobs(id, `j${i}`),
        ),
      );
      const allRan = counts.filter((count) => count!.pendingJobs - count!.failedJobs === 0);
      assert.equal(allRan.length, 1, `saw every job run ${allRan.length} times`);
      const firstFailures = counts.filter((count, i) => i % 3 === 0 && count!.failedJobs === 1);
      assert.equal(firstFailures.length, 1);
      const found = await store.find(id);
      assert.equal(found?.pendingJobs, 10);
      assert.equal(found?.failedJobs, 10);
      assert.equal(found?.failedJobIds.length, 10);
    });
  });
}
