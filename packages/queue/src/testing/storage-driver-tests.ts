import assert from 'node:assert/strict';
import type { QueueDriver } from '../driver/queue-driver.js';
import type { TestRunner } from './test-runner.js';
import { afterGate, complete, consume, slowly, type Until } from './suite-helpers.js';
import { gate, tick } from './waits.js';

/**
 * The part of the conformance suite for drivers that store jobs: delays, queue order,
 * concurrency, several consumers, stopping and draining.
 *
 * @param t - The test runner.
 * @param driver - The current test's driver.
 * @param until - Waits for a condition.
 */
export function describeStorageDriver(t: TestRunner, driver: () => QueueDriver, until: Until): void {
  const it = (title: string, fn: () => Promise<void>) =>
    t.it(title, async () => {
      if (!driver().runsOnPush) await fn();
    });

  it('does not deliver a delayed job before its delay', async () => {
    let deliveredAt = 0;
    const { deliveries } = consume(driver(), ['default'], () => {
      deliveredAt = Date.now();
      return { type: 'complete' };
    });
    const pushed = Date.now();
    await driver().push('later', { queue: 'default', id: 'later', delayMs: 40 });
    await until('the delayed delivery', () => deliveries.length === 1);
    assert.ok(deliveredAt - pushed >= 35, `delivered after ${deliveredAt - pushed} ms`);
  });

  it('waits for a release delay before the next attempt', async () => {
    const times: number[] = [];
    const { deliveries } = consume(driver(), ['default'], (d) => {
      times.push(Date.now());
      return d.attempts === 1 ? { type: 'release', delayMs: 40, exceptions: 0 } : { type: 'complete' };
    });
    await driver().push('backoff', { queue: 'default', id: 'backoff' });
    await until('two attempts', () => deliveries.length === 2);
    assert.ok(times[1] - times[0] >= 35, 'released job came back too early');
  });

  it('keeps jobs until someone consumes, and counts ready and delayed ones in size()', async () => {
    await driver().push('a', { queue: 'default' });
    await driver().push('b', { queue: 'default', delayMs: 5000 });
    await driver().push('c', { queue: 'other' });
    assert.equal(await driver().size('default'), 2);
    assert.equal(await driver().size('other'), 1);
    assert.equal(await driver().size('none'), 0);
    const hold = gate();
    const { deliveries } = consume(driver(), ['default'], afterGate(hold.opened));
    await until('a delivery', () => deliveries.length === 1);
    assert.equal(await driver().size('default'), 1, 'a running job is not waiting');
    hold.open();
  });

  it('clear(), when it has one, deletes the waiting and delayed jobs of one queue, not its running job nor other queues', async () => {
    const clear = driver().clear?.bind(driver());
    if (clear === undefined) return;
    const hold = gate();
    const { deliveries } = consume(driver(), ['default'], afterGate(hold.opened));
    await driver().push('running', { queue: 'default', id: 'running' });
    await until('the running job', () => deliveries.length === 1);
    await driver().push('a', { queue: 'default', id: 'a' });
    await driver().push('b', { queue: 'default', id: 'b', delayMs: 60_000 });
    await driver().push('c', { queue: 'other', id: 'c' });
    await driver().push('d', { queue: 'other', id: 'd', delayMs: 60_000 });

    assert.equal(await clear('default'), 2);
    assert.equal(await driver().size('default'), 0);
    assert.equal(await driver().size('other'), 2);
    assert.equal(await clear('none'), 0);
    hold.open();
    await tick(20);
    assert.deepEqual(deliveries.map((d) => d.id), ['running'], 'a cleared job was delivered');
  });

  it('takes only from the listed queues, the first listed first', async () => {
    for (const [queue, id] of [['low', 'l1'], ['high', 'h1'], ['other', 'o1'], ['low', 'l2'], ['high', 'h2']]) {
      await driver().push(id, { queue, id });
    }
    const { deliveries } = consume(driver(), ['high', 'low']);
    await until('four deliveries', () => deliveries.length === 4);
    assert.deepEqual(deliveries.map((d) => d.id), ['h1', 'h2', 'l1', 'l2']);
    await tick(20);
    assert.equal(deliveries.length, 4);
    assert.equal(await driver().size('other'), 1);
  });

  it('never runs more than `concurrency` jobs at once', async () => {
    let running = 0;
    let most = 0;
    const { deliveries } = consume(
      driver(),
      ['default'],
      async () => {
        most = Math.max(most, ++running);
        await tick(10);
        running--;
        return { type: 'complete' };
      },
      { concurrency: 2 },
    );
    for (let i = 0; i < 6; i++) await driver().push(`c${i}`, { queue: 'default' });
    await until('six deliveries', () => deliveries.length === 6 && running === 0);
    assert.equal(most, 2);
  });

  it('delivers each job to one of several consumers, once', async () => {
    const first = consume(driver(), ['default'], slowly, { concurrency: 2 });
    const second = consume(driver(), ['default'], slowly, { concurrency: 2 });
    const ids = Array.from({ length: 12 }, (_, i) => `j${i}`);
    for (const id of ids) await driver().push(id, { queue: 'default', id });
    await until('twelve deliveries', () => first.deliveries.length + second.deliveries.length === 12);
    const all = [...first.deliveries, ...second.deliveries].map((d) => d.id).sort();
    assert.deepEqual(all, [...ids].sort());
  });

  it('stop() waits for running jobs, then takes no more', async () => {
    const hold = gate();
    const { deliveries, consumer } = consume(driver(), ['default'], afterGate(hold.opened));
    await driver().push('s1', { queue: 'default', id: 's1' });
    await driver().push('s2', { queue: 'default', id: 's2' });
    await until('a delivery', () => deliveries.length === 1);
    let stopped = false;
    const stopping = consumer.stop().then(() => (stopped = true));
    await tick(10);
    assert.equal(stopped, false, 'stop() resolved while a job was running');
    hold.open();
    await stopping;
    await tick(20);
    assert.deepEqual(deliveries.map((d) => d.id), ['s1']);
    assert.equal(await driver().size('default'), 1);
  });

  it('calls onDrained when nothing is ready and nothing runs, again after more work', async () => {
    let drained = 0;
    const { deliveries } = consume(driver(), ['default'], complete, { onDrained: () => drained++ });
    await until('drained at start', () => drained === 1);
    await driver().push('d1', { queue: 'default' });
    await until('a delivery', () => deliveries.length === 1);
    await until('drained again', () => drained === 2);
  });

  it('lists what waits on every queue in waiting(), ready and delayed, when it has the method', async () => {
    const d = driver();
    if (d.waiting === undefined) return;
    assert.deepEqual(await d.waiting(), []);
    const pushed = Date.now();
    await d.push('a', { queue: 'default' });
    await d.push('b', { queue: 'default', delayMs: 5000 });
    await d.push('c', { queue: 'images' });
    await d.push('d', { queue: 'images' });
    await d.push('e', { queue: 'later', delayMs: 3000 });
    await d.push('f', { queue: 'later', delayMs: 9000 });
    const waiting = [...(await d.waiting())].sort((x, y) => x.queue.localeCompare(y.queue));
    assert.deepEqual(
      waiting.map(({ queue, ready, delayed }) => ({ queue, ready, delayed })),
      [
        { queue: 'default', ready: 1, delayed: 1 },
        { queue: 'images', ready: 2, delayed: 0 },
        { queue: 'later', ready: 0, delayed: 2 },
      ],
    );
    assert.equal(waiting[1].nextDueAt, undefined);
    const due = waiting[2].nextDueAt ?? 0;
    assert.ok(due >= pushed + 2990 && due <= Date.now() + 3010, `the earliest due at +${due - pushed} ms`);
  });
}
