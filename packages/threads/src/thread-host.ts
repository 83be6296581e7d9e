/**
 * The state of a worker thread of the pool: which app module it hosts (so that the
 * `WorkerThreadsDriver` that module builds knows to send its pushes to the main thread), and
 * the channel of the task being run, found through the async context of the job.
 *
 * @module
 * @internal
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { threadId, type MessagePort } from 'node:worker_threads';
import type { DriverPushOptions, PushReceipt } from '@epilogue/queue/driver';
import { NotOnMainThreadError } from './errors.js';
import { fromWire, type MainMessage, type ThreadMessage } from './protocol.js';

let hosted: string | undefined;

/** Marks this thread as one of a pool, hosting the app module at `moduleUrl`. */
export function hostModule(moduleUrl: string): void {
  hosted = moduleUrl;
}

/** Whether this thread is one of a pool and hosts the app module at `moduleUrl`. */
export function hostsModule(moduleUrl: string): boolean {
  return hosted === moduleUrl;
}

/** The thread's end of one task's port: tells the main thread what happens, and pushes jobs there. */
export class TaskChannel {
  readonly #port: MessagePort;
  readonly #pending = new Map<number, { resolve: (receipt: PushReceipt) => void; reject: (error: Error) => void }>();
  #seq = 0;
  #closed = false;

  /** @param port - The task's port. */
  constructor(port: MessagePort) {
    this.#port = port;
    port.on('message', (message: MainMessage) => {
      const pending = this.#pending.get(message.seq);
      if (pending === undefined) return;
      this.#pending.delete(message.seq);
      if (message.type === 'pushed') pending.resolve({ id: message.id });
      else pending.reject(fromWire(message.error));
    });
    port.on('close', () => this.#end());
  }

  /** Tells the main thread the attempt starts, and its timeout, so that it can stop the thread. */
  started(timeoutMs: number | null): void {
    this.#send({ type: 'started', timeoutMs, threadId });
  }

  /** Pushes a job to the main thread's queue. */
  push(body: string, options: DriverPushOptions): Promise<PushReceipt> {
    if (this.#closed) return Promise.reject(closedError());
    const seq = ++this.#seq;
    return new Promise((resolve, reject) => {
      this.#pending.set(seq, { resolve, reject });
      this.#send({ type: 'push', seq, body, options });
    });
  }

  /** Ends the task: pushes still unanswered reject, and the port closes. */
  close(): void {
    this.#end();
    this.#port.close();
  }

  #send(message: ThreadMessage): void {
    this.#port.postMessage(message);
  }

  #end(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const pending of this.#pending.values()) pending.reject(closedError());
    this.#pending.clear();
  }
}

function closedError(): Error {
  return NotOnMainThreadError.cannot('push a job once the job that dispatched it has finished (await the dispatch)');
}

/** The channel of the task whose job is running, in the async context of that job. */
export const currentTask = new AsyncLocalStorage<TaskChannel>();
