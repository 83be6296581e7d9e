/**
 * The entry point of each worker thread of a `WorkerThreadsDriver` pool (piscina loads it). On
 * its first task, the thread loads the app module, once; each task then runs one delivery through
 * the connection's `JobRunner` (or settles an attempt that was lost) and returns the outcome.
 *
 * @module
 * @internal
 */
import { threadId } from 'node:worker_threads';
import { queueManager, type PayloadCodec } from '@epilogue/queue';
import { loadAppModule, type JobRunner, type LostAttempt } from '@epilogue/queue/driver';
import { ThreadModuleError } from './errors.js';
import { fromWire, outcomeToWire, toWire, type ThreadResult, type ThreadTask, type WarmTask } from './protocol.js';
import { currentTask, hostModule, TaskChannel } from './thread-host.js';
import { WorkerThreadsDriver } from './worker-threads-driver.js';

interface Hosted {
  readonly runner: JobRunner;
  readonly codec: PayloadCodec;
}

let hosted: Promise<Hosted> | undefined;

/**
 * Runs one task of the pool.
 *
 * @param task - What to do, with the delivery and the task's port.
 * @returns The outcome for the main thread's queue.
 */
export default async function runThreadTask(task: ThreadTask | WarmTask): Promise<ThreadResult> {
  if (task.kind === 'warm') {
    try {
      await (hosted ??= loadHost(task));
      return { outcome: { type: 'complete' }, threadId };
    } catch (error) {
      return { outcome: { type: 'fail', error: toWire(error) }, threadId };
    }
  }
  const channel = new TaskChannel(task.port);
  try {
    let host: Hosted;
    try {
      host = await (hosted ??= loadHost(task));
    } catch (error) {
      // Without its application the thread can run nothing: the job fails with the reason.
      return { outcome: { type: 'fail', error: toWire(error) }, threadId };
    }
    return await currentTask.run(channel, () => (task.kind === 'run' ? attempt(host, task, channel) : settle(host, task)));
  } finally {
    channel.close();
  }
}

async function loadHost(task: ThreadTask | WarmTask): Promise<Hosted> {
  hostModule(task.module);
  const app = await loadAppModule(new URL(task.module), { source: "WorkerThreadsDriver's `app`" });
  const manager = queueManager(app);
  const names = manager.connectionNames();
  const driver = names.includes(task.connection) ? manager.driver(task.connection) : undefined;
  if (!(driver instanceof WorkerThreadsDriver) || driver.module !== task.module) {
    const found =
      driver === undefined
        ? `its connections: ${names.join(', ')}`
        : `it is ${driver instanceof WorkerThreadsDriver ? `one for ${driver.module}` : driver.constructor.name}`;
    throw ThreadModuleError.noConnection(task.module, task.connection, found);
  }
  return { runner: manager.createRunner(task.connection), codec: manager.payloads };
}

async function attempt(host: Hosted, task: ThreadTask, channel: TaskChannel): Promise<ThreadResult> {
  channel.started(timeoutMs(host.codec, task.delivery.body));
  const report = await host.runner.run(task.delivery);
  return { outcome: outcomeToWire(report.outcome), threadId };
}

async function settle(host: Hosted, task: ThreadTask): Promise<ThreadResult> {
  const lost = task.lost!;
  const how: LostAttempt = lost.timedOut ? { timedOut: true } : { timedOut: false, error: fromWire(lost.error) };
  const report = await host.runner.runLost(task.delivery, how);
  return { outcome: outcomeToWire(report.outcome), threadId };
}

// The runner reads the payload again and refuses what is unsafe; this only needs the timeout.
function timeoutMs(codec: PayloadCodec, body: string): number | null {
  try {
    const { timeout } = codec.decode(body).payload;
    return timeout === null ? null : timeout * 1000;
  } catch {
    return null;
  }
}
