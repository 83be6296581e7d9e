import assert from 'node:assert/strict';
import type { AtomicStore } from '../atomics/atomic-store.js';
import { globalRunner, type TestRunner } from './test-runner.js';
import { tick, waitFor } from './waits.js';

/** Builds a fresh, empty store for one test (a Redis store: with a key prefix of its own). */
export type AtomicStoreFactory = () => AtomicStore | Promise<AtomicStore>;

/** Options of `describeAtomicStore()`. */
export interface AtomicStoreSuiteOptions {
  /** The test runner; the global `describe`, `it`, `beforeEach` and `afterEach` by default. */
  runner?: TestRunner;
  /** Called after each test with its store, to delete its keys or close its client. */
  dispose?: (store: AtomicStore) => void | Promise<void>;
}

// Windows and lock lifetimes in the suite: long enough for a round trip to a local Redis, short
// enough that waiting for one to end keeps the suite fast.
const SHORT_MS = 60;

/**
 * The conformance suite of the `AtomicStore` contract: every store must pass it. It checks owned
 * locks with and without expiry, fixed-window counters, and that concurrent calls never both
 * take a lock or count the same hit. Assertions use `node:assert`, so any runner works.
 *
 * @param name - The store's name, for the test titles.
 * @param factory - Builds a fresh, empty store for each test.
 * @param options - The test runner and how to dispose of a store.
 * @throws {NoTestRunnerError} When no test runner is found.
 * @example
 * // memory-atomic-store.test.ts
 * describeAtomicStore('MemoryAtomicStore', () => new MemoryAtomicStore());
 */
export function describeAtomicStore(
  name: string,
  factory: AtomicStoreFactory,
  options: AtomicStoreSuiteOptions = {},
): void {
  const t = options.runner ?? globalRunner();
  let store: AtomicStore;
  const until = (what: string, test: () => Promise<boolean>) => waitFor(what, test, 2000);

  t.describe(`atomic store conformance: ${name}`, () => {
    t.beforeEach(async () => {
      store = await factory();
    });
    t.afterEach(async () => {
      await options.dispose?.(store);
    });

    t.it('gives a free lock to one owner and refuses it to everyone while held', async () => {
      assert.equal(await store.acquire('lock', 'a', 10_000), true);
      assert.equal(await store.acquire('lock', 'b', 10_000), false);
      assert.equal(await store.acquire('lock', 'a', 10_000), false);
      assert.equal(await store.owner('lock'), 'a');
      assert.equal(await store.acquire('other', 'b'), true);
    });

    t.it('lets only the owner release a lock', async () => {
      await store.acquire('lock', 'a', 10_000);
      assert.equal(await store.release('lock', 'b'), false);
      assert.equal(await store.owner('lock'), 'a');
      assert.equal(await store.release('lock', 'a'), true);
      assert.equal(await store.release('lock', 'a'), false);
      assert.equal(await store.owner('lock'), undefined);
      assert.equal(await store.acquire('lock', 'b', 10_000), true);
    });

    t.it('frees a lock once its time to live has passed, and not before', async () => {
      const start = Date.now();
      await store.acquire('lock', 'a', SHORT_MS);
      assert.equal(await store.acquire('lock', 'b', SHORT_MS), false);
      await until('the lock to expire', () => store.acquire('lock', 'b', 10_000));
      assert.ok(Date.now() - start >= SHORT_MS - 5, `expired after ${Date.now() - start} ms`);
      assert.equal(await store.release('lock', 'a'), false, 'the expired owner released the new lock');
      assert.equal(await store.owner('lock'), 'b');
    });

    t.it('keeps a lock without a time to live until it is released', async () => {
      await store.acquire('lock', 'a');
      await tick(SHORT_MS);
      assert.equal(await store.owner('lock'), 'a');
      assert.equal(await store.release('lock', 'a'), true);
    });

    t.it('counts hits in a window that later hits do not extend', async () => {
      const first = await store.hit('counter', 10_000);
      assert.equal(first.count, 1);
      assert.ok(first.resetInMs > 9_000 && first.resetInMs <= 10_000, `resetInMs ${first.resetInMs}`);
      await tick(20);
      const second = await store.hit('counter', 10_000);
      assert.equal(second.count, 2);
      assert.ok(second.resetInMs < first.resetInMs, 'the second hit moved the window');
      const peeked = await store.peek('counter');
      assert.equal(peeked.count, 2);
      assert.ok(peeked.resetInMs > 0 && peeked.resetInMs <= second.resetInMs);
    });

    t.it('starts counting from 1 once the window has ended', async () => {
      await store.hit('counter', SHORT_MS);
      await store.hit('counter', SHORT_MS);
      await until('the window to end', async () => (await store.peek('counter')).count === 0);
      assert.deepEqual(await store.peek('counter'), { count: 0, resetInMs: 0 });
      assert.equal((await store.hit('counter', SHORT_MS)).count, 1);
    });

    t.it('reads a counter that was never hit as 0 with no window', async () => {
      assert.deepEqual(await store.peek('never'), { count: 0, resetInMs: 0 });
    });

    t.it('clears locks and counters whoever holds them', async () => {
      await store.acquire('lock', 'a');
      await store.hit('counter', 10_000);
      await store.clear('lock');
      await store.clear('counter');
      await store.clear('absent');
      assert.equal(await store.owner('lock'), undefined);
      assert.deepEqual(await store.peek('counter'), { count: 0, resetInMs: 0 });
      assert.equal(await store.acquire('lock', 'b', 10_000), true);
    });

    t.it('gives a lock to exactly one of many concurrent callers', async () => {
      const taken = await Promise.all(Array.from({ length: 20 }, (_, i) => store.acquire('race', `o${i}`, 10_000)));
      assert.equal(taken.filter(Boolean).length, 1);
      assert.equal(await store.owner('race'), `o${taken.indexOf(true)}`);
    });

    t.it('counts every one of many concurrent hits once', async () => {
      const states = await Promise.all(Array.from({ length: 30 }, () => store.hit('race', 10_000)));
      assert.deepEqual(
        states.map((state) => state.count).sort((a, b) => a - b),
        Array.from({ length: 30 }, (_, i) => i + 1),
      );
    });
  });
}
