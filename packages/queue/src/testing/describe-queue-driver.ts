import assert from 'node:assert/strict';
import type { QueueDriver } from '../driver/queue-driver.js';
import { describeStorageDriver } from './storage-driver-tests.js';
import { consume, pick, quietly } from './suite-helpers.js';
import { globalRunner, type TestRunner } from './test-runner.js';
import { tick, waitFor } from './waits.js';

/** Builds a fresh, empty driver for one test (a Redis driver: with a key prefix of its own). */
export type QueueDriverFactory = () => QueueDriver | Promise<QueueDriver>;

/** Options of `describeQueueDriver()`. */
export interface QueueDriverSuiteOptions {
  /** The test runner; the global `describe`, `it`, `beforeEach` and `afterEach` by default. */
  runner?: TestRunner;
  /** How long to wait for something a driver should do. Default: 2,000 ms. */
  waitMs?: number;
  /**
   * Whether the driver runs jobs on push; the storage tests are only declared for drivers that
   * do not. When omitted, the factory is called once while the suite is declared, to ask.
   */
  runsOnPush?: boolean;
}

/**
 * The conformance suite of the queue driver contract: every driver must pass it. Tests that
 * need storage (delays, queue order, concurrency, stopping) are not declared for drivers that
 * run jobs on push. Assertions use `node:assert`, so any runner with `describe`/`it` works.
 *
 * @param name - The driver's name, for the test titles.
 * @param factory - Builds a fresh, empty driver; the suite closes it after each test. Without the
 *   `runsOnPush` option it is also called once while the suite is declared.
 * @param options - The test runner and how long to wait.
 * @throws {NoTestRunnerError} When no test runner is found.
 * @example
 * // memory-driver.test.ts
 * describeQueueDriver('MemoryDriver', () => new MemoryDriver());
 */
export function describeQueueDriver(
  name: string,
  factory: QueueDriverFactory,
  options: QueueDriverSuiteOptions = {},
): void {
  const t = options.runner ?? globalRunner();
  const waitMs = options.waitMs ?? 2000;
  let driver: QueueDriver;
  const until = (what: string, test: () => boolean | Promise<boolean>) => waitFor(what, test, waitMs);

  t.describe(`queue driver conformance: ${name}`, () => {
    t.beforeEach(async () => {
      driver = await factory();
    });
    t.afterEach(async () => {
      await driver.close();
    });

    t.it('push resolves to the id it was given, or to a new unique one', async () => {
      const { deliveries } = consume(driver, ['default']);
      assert.equal((await driver.push('{"n":1}', { queue: 'default', id: 'job-1' })).id, 'job-1');
      const a = await driver.push('{"n":2}', { queue: 'default' });
      const b = await driver.push('{"n":3}', { queue: 'default' });
      assert.ok(a.id !== '' && b.id !== '' && a.id !== b.id);
      await until('three deliveries', () => deliveries.length === 3);
    });

    t.it('delivers the exact body with its id, queue, attempt 1 and no exceptions', async () => {
      const { deliveries } = consume(driver, ['mail']);
      const body = '{"v":1,"text":"héllo \\u2028 ✓"}';
      await driver.push(body, { queue: 'mail', id: 'exact' });
      await until('a delivery', () => deliveries.length === 1);
      assert.deepEqual(pick(deliveries[0]), { id: 'exact', queue: 'mail', body, attempts: 1, exceptions: 0 });
    });

    t.it('forgets a completed job', async () => {
      const { deliveries } = consume(driver, ['default']);
      await driver.push('done', { queue: 'default', id: 'done' });
      await until('a delivery', () => deliveries.length === 1);
      await tick(30);
      assert.equal(deliveries.length, 1);
      assert.equal(await driver.size('default'), 0);
    });

    t.it('forgets a deleted job', async () => {
      const { deliveries } = consume(driver, ['default'], () => ({ type: 'delete' }));
      await driver.push('deleted', { queue: 'default', id: 'deleted' });
      await until('a delivery', () => deliveries.length === 1);
      await tick(30);
      assert.equal(deliveries.length, 1);
      assert.equal((await driver.failedJobs.list()).length, 0);
    });

    t.it('delivers a released job again as the next attempt, with the exceptions it reported', async () => {
      const { deliveries } = consume(driver, ['default'], (d) =>
        d.attempts < 3 ? { type: 'release', delayMs: 0, exceptions: d.exceptions + 1 } : { type: 'complete' },
      );
      await driver.push('again', { queue: 'default', id: 'again' });
      await until('three attempts', () => deliveries.length === 3);
      assert.deepEqual(
        deliveries.map((d) => [d.id, d.body, d.attempts, d.exceptions]),
        [
          ['again', 'again', 1, 0],
          ['again', 'again', 2, 1],
          ['again', 'again', 3, 2],
        ],
      );
    });

    t.it('records a failed job in its failed store and does not deliver it again', async () => {
      const { deliveries } = consume(driver, ['reports'], () => ({ type: 'fail', error: new TypeError('boom') }));
      const before = Date.now();
      await quietly(driver.push('failing', { queue: 'reports', id: 'failing' }));
      await until('a failed record', async () => (await driver.failedJobs.find('failing')) !== undefined);
      const record = (await driver.failedJobs.find('failing'))!;
      assert.equal(record.queue, 'reports');
      assert.equal(record.payload, 'failing');
      assert.match(record.exception, /TypeError: boom/);
      assert.ok(record.failedAt >= before - 1000 && record.failedAt <= Date.now() + 1000);
      await tick(30);
      assert.equal(deliveries.length, 1);
    });

    t.it('fails a job whose handler throws instead of losing it', async () => {
      consume(driver, ['default'], () => {
        throw new RangeError('handler bug');
      });
      await quietly(driver.push('thrown', { queue: 'default', id: 'thrown' }));
      await until('a failed record', async () => (await driver.failedJobs.find('thrown')) !== undefined);
      assert.match((await driver.failedJobs.find('thrown'))!.exception, /handler bug/);
    });

    t.it('keeps failed records: list in order of failure, find, forget, flush', async () => {
      const store = driver.failedJobs;
      await store.flush();
      const record = (id: string, failedAt: number) => ({
        id,
        queue: 'q',
        payload: `p-${id}`,
        exception: 'E',
        failedAt,
      });
      await store.log(record('a', 1));
      await store.log(record('b', 2));
      await store.log(record('c', 3));
      assert.deepEqual((await store.list()).map((r) => r.id), ['a', 'b', 'c']);
      assert.deepEqual(await store.find('b'), record('b', 2));
      assert.equal(await store.find('nope'), undefined);
      assert.equal(await store.forget('b'), true);
      assert.equal(await store.forget('b'), false);
      await store.log(record('a', 4));
      assert.deepEqual((await store.list()).map((r) => [r.id, r.failedAt]), [['c', 3], ['a', 4]]);
      assert.equal(await store.flush(), 2);
      assert.deepEqual(await store.list(), []);
    });

    if (!(options.runsOnPush ?? runsOnPush(factory))) {
      t.describe('with storage', () => describeStorageDriver(t, () => driver, until));
    }
  });
}

// A factory that answers synchronously is asked once, up front; a driver built asynchronously is
// taken for one with storage (and each storage test still checks).
function runsOnPush(factory: QueueDriverFactory): boolean {
  const probe = factory();
  // The probe only answers the question: a failure to build or close it is not this suite's to
  // report (each test builds and closes a driver of its own, and fails with what it threw).
  if (probe instanceof Promise) {
    probe.then((driver) => driver.close()).catch(() => undefined);
    return false;
  }
  probe.close().catch(() => undefined);
  return probe.runsOnPush;
}
