import { Job, ShouldQueue } from '@epilogue/bus';
import { Application } from '@epilogue/core';
import { configureQueues, MemoryAtomicStore, MemoryDriver, Worker, type QueueManager } from '@epilogue/queue';

const ran: string[] = [];
let gate: { opened: Promise<void>; open: () => void };

@ShouldQueue()
class Note extends Job {
  constructor(public label: string) {
    super();
  }
  handle() {
    ran.push(this.label);
  }
}

@ShouldQueue()
class Gated extends Job {
  async handle() {
    ran.push('gated:start');
    await gate.opened;
    ran.push('gated:end');
  }
}

let app: Application;
let manager: QueueManager;

beforeEach(() => {
  ran.length = 0;
  let open!: () => void;
  gate = { opened: new Promise<void>((resolve) => (open = resolve)), open };
  app = new Application({ report: (error) => console.error(error) });
  manager = configureQueues(app, { default: 'memory', connections: { memory: new MemoryDriver() } });
});

afterEach(() => manager.close());

// Across processes on Redis, through `epilogue queue:restart`: test/queue/queue-operations.test.ts.
describe('a worker and the restart signal', () => {
  it('finishes its running job, then stops with the reason "restart"; a worker started afterwards keeps working', async () => {
    await Gated.dispatch();
    const first = new Worker(app, { restartCheckMs: 10 });
    const firstDone = first.run();
    while (!ran.includes('gated:start')) await new Promise((resolve) => setImmediate(resolve));

    await manager.signalRestart();
    gate.open();

    await expect(firstDone).resolves.toEqual({ reason: 'restart', jobs: 1, stopTimedOut: false });
    expect(ran).toEqual(['gated:start', 'gated:end']);

    const second = new Worker(app, { restartCheckMs: 10, maxJobs: 2 });
    const secondDone = second.run();
    await Note.dispatch('after');
    // Several checks of the signal go by before the second job.
    await new Promise((resolve) => setTimeout(resolve, 50));
    await Note.dispatch('later');
    await expect(secondDone).resolves.toEqual({ reason: 'max-jobs', jobs: 2, stopTimedOut: false });
    expect(ran).toEqual(['gated:start', 'gated:end', 'after', 'later']);
  });

  it('reports a store it cannot read once per run of failures, and still stops on a later signal', async () => {
    /** A store in memory that cannot be read while `down` is set, as a store on a server that went away. */
    class FlakyStore extends MemoryAtomicStore {
      down = true;
      reads = 0;
      override async owner(key: string) {
        this.reads++;
        if (this.down) throw new Error('store unreachable');
        return super.owner(key);
      }
    }
    const atomics = new FlakyStore();
    const reports: [unknown, Record<string, unknown> | undefined][] = [];
    const flakyApp = new Application({ report: (error, context) => void reports.push([error, context]) });
    const driver = Object.assign(new MemoryDriver(), { atomics });
    const flaky = configureQueues(flakyApp, { default: 'memory', connections: { memory: driver } });
    const worker = new Worker(flakyApp, { restartCheckMs: 5 });
    const done = worker.run();
    while (atomics.reads < 4) await new Promise((resolve) => setTimeout(resolve, 5));

    expect(reports).toEqual([[new Error('store unreachable'), { phase: 'worker-restart-check', connection: 'memory' }]]);
    atomics.down = false;
    const readsBack = atomics.reads;
    while (atomics.reads < readsBack + 2) await new Promise((resolve) => setTimeout(resolve, 5));
    await flaky.signalRestart();
    await expect(done).resolves.toMatchObject({ reason: 'restart' });
    await flaky.close();
  });

  it('rejects an unusable restartCheckMs', () => {
    expect(() => new Worker(app, { restartCheckMs: 0 })).toThrow(
      'Worker options: restartCheckMs must be milliseconds > 0 and at most 2147483647 (got 0).',
    );
  });
});

