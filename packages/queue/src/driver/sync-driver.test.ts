import { DriverClosedError, NoConsumerError, SyncDriver } from '@epilogue/queue';
import { describeQueueDriver } from '@epilogue/queue/testing';

describeQueueDriver('SyncDriver', () => new SyncDriver());

describe('SyncDriver', () => {
  it('runs the job during push and resolves with its result', async () => {
    const driver = new SyncDriver();
    driver.consume([], async () => ({ type: 'complete', result: 42 }), { concurrency: 1 });
    await expect(driver.push('x', { queue: 'default', id: 'a' })).resolves.toEqual({ id: 'a', result: 42 });
  });

  it('attempts a released job again at once, ignoring the delay', async () => {
    const driver = new SyncDriver();
    const attempts: number[] = [];
    driver.consume(
      [],
      async (d) => {
        attempts.push(d.attempts);
        return d.attempts < 3 ? { type: 'release', delayMs: 60_000, exceptions: 0 } : { type: 'complete' };
      },
      { concurrency: 1 },
    );
    await driver.push('x', { queue: 'default' });
    expect(attempts).toEqual([1, 2, 3]);
  });

  it('rejects with the job’s error after recording it as failed', async () => {
    const driver = new SyncDriver();
    const error = new Error('sync failure');
    driver.consume([], async () => ({ type: 'fail', error }), { concurrency: 1 });
    await expect(driver.push('x', { queue: 'default', id: 'f' })).rejects.toBe(error);
    expect((await driver.failedJobs.find('f'))?.exception).toMatch(/sync failure/);
  });

  it('refuses pushes without a consumer, or after close()', async () => {
    const driver = new SyncDriver();
    await expect(driver.push('x', { queue: 'default' })).rejects.toBeInstanceOf(NoConsumerError);
    const consumer = driver.consume([], async () => ({ type: 'complete' }), { concurrency: 1 });
    await consumer.stop();
    await expect(driver.push('x', { queue: 'default' })).rejects.toBeInstanceOf(NoConsumerError);
    await driver.close();
    await expect(driver.push('x', { queue: 'default' })).rejects.toBeInstanceOf(DriverClosedError);
  });
});
