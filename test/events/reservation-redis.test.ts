// The reservation scenario of docs/events.md against the real Redis, the way it is deployed: the
// listeners run on a worker in another process, started with the `epilogue` bin, and the events
// are dispatched from a third process. Sequential queued listeners: the email is never queued
// for a reservation that already exists. Queued event: the same, inside one job.
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { exitCode, runProcess, type Started, startWorkerProcess } from '@epilogue-internal/test-support/processes';
import { deleteKeys, describeWithRedis, REDIS, uniquePrefix } from '@epilogue-internal/test-support/redis';

const appModule = join(__dirname, 'fixtures/reservation-app.mjs');
const registerScript = join(__dirname, 'fixtures/register.mjs');

describeWithRedis('the reservation scenario on Redis, with the worker in another process', () => {
  let prefix: string;
  let redis: Redis;
  let worker: Started;

  beforeEach(() => {
    prefix = uniquePrefix('events');
    redis = new Redis(REDIS);
    worker = startWorkerProcess(prefix, appModule);
  });

  afterEach(async () => {
    if (worker.child.exitCode === null) worker.child.kill('SIGKILL');
    redis.disconnect();
    await deleteKeys(prefix);
  });

  /** Dispatches `mode:formId:id` reservations from a process of their own. */
  const register = (...reservations: string[]) => runProcess(prefix, registerScript, reservations);

  /** The listeners' log, without the process ids; fails unless every line came from the worker. */
  const log = async () => {
    const lines = await redis.lrange(`${prefix}::log`, 0, -1);
    for (const line of lines) expect(line.endsWith(` @${worker.child.pid}`)).toBe(true);
    return lines.map((line) => line.replace(/ @\d+$/, ''));
  };

  const until = async (what: string, test: () => Promise<boolean>) => {
    const deadline = Date.now() + 20_000;
    while (!(await test())) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; worker output:\n${worker.output()}`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  };
  const logged = (line: string) => until(line, async () => (await log()).includes(line));

  /** Stops the worker gracefully, then reads the jobs it reported (`name status`), in order. */
  const stopWorker = async () => {
    worker.child.kill('SIGTERM');
    expect(await exitCode(worker)).toBe(0);
    expect(await redis.hlen(`${prefix}::failed`)).toBe(0);
    return worker
      .output()
      .split('\n')
      .filter((line) => line.startsWith('{"event":"processed"'))
      .map((line) => JSON.parse(line) as { name: string; status: string })
      .map(({ name, status }) => `${name} ${status}`);
  };

  it('sequential queued listeners: the email listener never runs for an existing id', async () => {
    await register('sequential:1:r-1');
    await logged('email r-1 (form 1)');

    // The second reservation of r-1 stops at StoreReservation. r-2 is dispatched after it, so by
    // the time its email is sent, an email for r-1, had it been queued, would have run first.
    await register('sequential:2:r-1', 'sequential:3:r-2');
    await logged('email r-2 (form 3)');

    expect(await log()).toEqual([
      'store r-1',
      'email r-1 (form 1)',
      'store r-1',
      'store r-2',
      'email r-2 (form 3)',
    ]);
    // The worker's own report: the StoreReservation that returned false deleted its job.
    expect(await stopWorker()).toEqual([
      'StoreReservation completed',
      'SendReservationEmail completed',
      'StoreReservation deleted',
      'StoreReservation completed',
      'SendReservationEmail completed',
    ]);
  }, 60_000);

  it('a queued event: both listeners run in one job, and false stops the email there', async () => {
    await register('queued:1:q-1');
    await logged('email q-1 (form 1)');
    await register('queued:2:q-1', 'queued:3:q-2');
    await logged('email q-2 (form 3)');

    expect(await log()).toEqual(['store q-1', 'email q-1 (form 1)', 'store q-1', 'store q-2', 'email q-2 (form 3)']);
    expect(await stopWorker()).toEqual([
      'QueuedRegisterReservation completed',
      'QueuedRegisterReservation completed',
      'QueuedRegisterReservation completed',
    ]);
  }, 60_000);
});
