import { DriverClosedError, MemoryDriver, MemoryFailedJobStore } from '@epilogue/queue';
import { describeQueueDriver } from '@epilogue/queue/testing';

describeQueueDriver('MemoryDriver', () => new MemoryDriver());

describe('MemoryDriver', () => {
  it('refuses pushes after close()', async () => {
    const driver = new MemoryDriver();
    await driver.close();
    await expect(driver.push('x', { queue: 'default' })).rejects.toBeInstanceOf(DriverClosedError);
  });

  it('records failures in the failed store it was given', async () => {
    const failedJobs = new MemoryFailedJobStore();
    const driver = new MemoryDriver({ failedJobs });
    expect(driver.failedJobs).toBe(failedJobs);
    driver.consume(['default'], async () => ({ type: 'fail', error: new Error('no') }), { concurrency: 1 });
    await driver.push('body', { queue: 'default', id: 'f1' });
    while ((await failedJobs.find('f1')) === undefined) await new Promise((resolve) => setTimeout(resolve, 2));
    expect((await failedJobs.find('f1'))?.payload).toBe('body');
    await driver.close();
  });

  it('reports a failed store that cannot be written through onError, and keeps consuming', async () => {
    const failedJobs = new MemoryFailedJobStore();
    failedJobs.log = () => Promise.reject(new Error('disk full'));
    const driver = new MemoryDriver({ failedJobs });
    const errors: unknown[] = [];
    const ran: string[] = [];
    driver.consume(
      ['default'],
      async (delivery) => {
        ran.push(delivery.body);
        return delivery.body === 'bad' ? { type: 'fail', error: new Error('no') } : { type: 'complete' };
      },
      { concurrency: 1, onError: (error) => errors.push(error) },
    );
    await driver.push('bad', { queue: 'default' });
    await driver.push('good', { queue: 'default' });
    while (ran.length < 2) await new Promise((resolve) => setTimeout(resolve, 2));
    expect(ran).toEqual(['bad', 'good']);
    expect(errors).toEqual([expect.objectContaining({ message: 'disk full' })]);
    await driver.close();
  });
});
