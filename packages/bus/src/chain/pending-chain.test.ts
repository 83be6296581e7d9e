import {
  ChainCatchNotQueueableError,
  Dispatcher,
  InvalidChainError,
  InvalidJobError,
  Job,
  PendingChain,
  ShouldQueue,
  type ChainCatchJob,
  type ChainFailure,
  type QueueConnection,
} from '@epilogue/bus';
import { Application, EpilogueError, type ErrorContext } from '@epilogue/core';

const trail: string[] = [];

class Step extends Job {
  constructor(public label: string, public ms = 0) {
    super();
  }
  async handle() {
    trail.push(`start ${this.label}`);
    if (this.ms > 0) await new Promise((resolve) => setTimeout(resolve, this.ms));
    trail.push(`end ${this.label}`);
    return this.label;
  }
}

class CodedError extends EpilogueError {}

class Breaks extends Job {
  constructor(public label: string) {
    super();
  }
  handle(): never {
    trail.push(`break ${this.label}`);
    throw new CodedError('E_BROKEN', `${this.label} broke`);
  }
  failed(error: unknown) {
    trail.push(`failed() ${(error as Error).message}`);
  }
}

class Notify extends Job implements ChainCatchJob {
  chainFailure?: ChainFailure;
  constructor(public to: string) {
    super();
  }
  handle() {
    trail.push(`notify ${this.to}: ${this.chainFailure?.job} ${this.chainFailure?.error.message}`);
  }
}

@ShouldQueue()
class QueuedStep extends Step {}

class Typed extends Job {
  constructor(public id: number, public note?: string) {
    super();
  }
  handle() {
    trail.push(`typed ${this.id} ${this.note ?? '-'}`);
  }
}

function setup() {
  trail.length = 0;
  const reports: { error: unknown; context: ErrorContext }[] = [];
  const app = new Application({ report: (error, context) => reports.push({ error, context }) });
  return { app, reports, bus: app.make(Dispatcher) };
}

/** A queue resolver that records what is pushed, for the bus-side view of queued chains. */
function recordingQueue(bus: Dispatcher) {
  const pushes: { connection?: string; job: object; options: object }[] = [];
  bus.setQueueResolver({
    connection: (connection?: string): QueueConnection => ({
      push: async (job, options) => {
        pushes.push({ connection, job, options });
        return 'id-1';
      },
    }),
  });
  return pushes;
}

describe('chains in this process', () => {
  it('runs the jobs in order, each once the one before it finished, and returns a PendingChain', async () => {
    const { bus } = setup();
    const pending = bus.chain([new Step('a', 5), new Step('b'), new Step('c')]);
    expect(pending).toBeInstanceOf(PendingChain);
    await pending.dispatch();
    expect(trail).toEqual(['start a', 'end a', 'start b', 'end b', 'start c', 'end c']);
  });

  it('dispatches on a microtask, once, even when nobody awaits', async () => {
    const { bus } = setup();
    void bus.chain([new Step('a')]).dispatch();
    expect(trail).toEqual([]);
    await new Promise((resolve) => setImmediate(resolve));
    expect(trail).toEqual(['start a', 'end a']);
  });

  it('stops at the first failure, runs the job’s failed() hook, then the catch handlers, and rejects', async () => {
    const { bus } = setup();
    const seen: unknown[] = [];
    const chain = bus
      .chain([new Step('a'), new Breaks('b'), new Step('c')])
      .catch((error, failure) => seen.push(error, failure));
    await expect(chain.dispatch()).rejects.toThrow('b broke');
    expect(trail).toEqual(['start a', 'end a', 'break b', 'failed() b broke']);
    expect(seen[0]).toBeInstanceOf(CodedError);
    expect(seen[1]).toEqual({ job: 'Breaks', error: { name: 'CodedError', message: 'b broke', code: 'E_BROKEN' } });
  });

  it('dispatches a catch job with the failure in its chainFailure field', async () => {
    const { bus } = setup();
    const notify = new Notify('ops');
    await expect(bus.chain([new Breaks('x'), new Step('never')]).catch(notify).dispatch()).rejects.toThrow();
    expect(trail).toEqual(['break x', 'failed() x broke', 'notify ops: Breaks x broke']);
    expect(notify.chainFailure).toEqual({
      job: 'Breaks',
      error: { name: 'CodedError', message: 'x broke', code: 'E_BROKEN' },
    });
  });

  it('runs several catch handlers in order; one that throws is reported and the rest still run', async () => {
    const { bus, reports } = setup();
    const chain = bus
      .chain([new Breaks('a')])
      .catch(() => {
        throw new Error('catch broke');
      })
      .catch(() => trail.push('second catch'));
    await expect(chain.dispatch()).rejects.toThrow('a broke');
    expect(trail).toEqual(['break a', 'failed() a broke', 'second catch']);
    expect(reports.map((r) => [(r.error as Error).message, r.context.phase, r.context.job])).toEqual([
      ['catch broke', 'chain-catch', 'Breaks'],
    ]);
  });

  it('runs ShouldQueue jobs in this process when no queue is configured, and accepts a function catch', async () => {
    const { bus } = setup();
    const caught = jest.fn();
    await bus.chain([new QueuedStep('q'), new Step('p')]).onQueue('ignored').delay(60).catch(caught).dispatch();
    expect(trail).toEqual(['start q', 'end q', 'start p', 'end p']);
    expect(caught).not.toHaveBeenCalled();
  });

  it('runs a chain of jobs that are not ShouldQueue in this process even when a queue is configured', async () => {
    const { bus } = setup();
    const pushes = recordingQueue(bus);
    await bus.chain([new Step('a'), new Step('b')]).catch(() => undefined).dispatch();
    expect(pushes).toEqual([]);
    expect(trail).toEqual(['start a', 'end a', 'start b', 'end b']);
  });

  it('reports a failure nobody awaits instead of leaving an unhandled rejection', async () => {
    const { bus, reports } = setup();
    const unhandled = jest.fn();
    process.on('unhandledRejection', unhandled);
    void bus.chain([new Step('a'), new Breaks('b')]).dispatch();
    await new Promise((resolve) => setTimeout(resolve, 10));
    process.off('unhandledRejection', unhandled);
    expect(unhandled).not.toHaveBeenCalled();
    expect(reports.map((r) => r.context)).toEqual([
      expect.objectContaining({ phase: 'dispatch', job: 'Step → Breaks' }),
    ]);
  });

  it('does not report a failure that the caller awaits', async () => {
    const { bus, reports } = setup();
    await expect(bus.chain([]).dispatch()).rejects.toBeInstanceOf(InvalidChainError);
    expect(reports).toEqual([]);
  });

  it('refuses an empty chain, something that is not a list, and entries that are not jobs', async () => {
    const { bus } = setup();
    await expect(bus.chain([]).dispatch()).rejects.toThrow(/at least one job/);
    await expect(bus.chain('jobs' as never).dispatch()).rejects.toThrow(/list of job instances/);
    await expect(bus.chain([new Step('a'), 42 as never]).dispatch()).rejects.toBeInstanceOf(InvalidJobError);
    expect(trail).toEqual([]);
  });

  it('refuses a catch that is neither a job nor a function, and a class where an instance was meant', () => {
    const { bus } = setup();
    expect(() => bus.chain([new Step('a')]).catch(42 as never)).toThrow(InvalidChainError);
    expect(() => bus.chain([new Step('a')]).catch(null as never)).toThrow(InvalidChainError);
    expect(() => bus.chain([new Step('a')]).catch(Notify)).toThrow(/pass an instance of it: \.catch\(new Notify/);
  });

  it('copies the list: later changes to it do not change the chain', async () => {
    const { bus } = setup();
    const jobs = [new Step('a')];
    const pending = bus.chain(jobs);
    jobs.push(new Step('b'));
    await pending.dispatch();
    expect(trail).toEqual(['start a', 'end a']);
  });
});

describe('Job.withChain', () => {
  it('builds the first job from the arguments given to dispatch()', async () => {
    setup();
    await Typed.withChain([new Step('after')]).dispatch(7, 'first');
    expect(trail).toEqual(['typed 7 first', 'start after', 'end after']);
  });

  it('types dispatch() with the first job’s constructor parameters', () => {
    setup();
    const pending = Typed.withChain([new Step('after')]);
    const typed: PendingChain<[id: number, note?: string]> = pending;
    expect(typed).toBe(pending);
    // @ts-expect-error the id must be a number
    const wrong = () => pending.dispatch('seven');
    // @ts-expect-error the id is required
    const missing = () => pending.dispatch();
    expect([typeof wrong, typeof missing]).toEqual(['function', 'function']);
  });

  it('accepts the same options and catch handlers as dispatcher.chain()', async () => {
    setup();
    const caught = jest.fn();
    await expect(Breaks.withChain([new Step('never')]).catch(caught).dispatch('first')).rejects.toThrow('first broke');
    expect(caught).toHaveBeenCalledTimes(1);
    expect(trail).toEqual(['break first', 'failed() first broke']);
  });
});

describe('queued chains, seen from the bus', () => {
  it('pushes the first job with the rest of the chain and its options when any job is ShouldQueue', async () => {
    const { bus } = setup();
    const pushes = recordingQueue(bus);
    const [a, b, c, notify] = [new Step('a'), new QueuedStep('b'), new Step('c'), new Notify('ops')];
    await bus.chain([a, b, c]).onConnection('redis').onQueue('imports').delay(5).catch(notify).dispatch();
    expect(pushes).toEqual([
      {
        connection: 'redis',
        job: a,
        options: {
          queue: 'imports',
          delay: 5,
          chain: { jobs: [b, c], catch: [notify], connection: 'redis', queue: 'imports', delay: 5 },
        },
      },
    ]);
    expect(trail).toEqual([]);
  });

  it('lets the first job’s own connection, queue and delay win over the chain’s', async () => {
    const { bus } = setup();
    const pushes = recordingQueue(bus);
    const first = Object.assign(new QueuedStep('a'), { connection: 'sync', queue: 'own', delay: 0 });
    await bus.chain([first]).onConnection('redis').onQueue('imports').delay(5).dispatch();
    expect(pushes[0]).toMatchObject({ connection: 'sync', options: { queue: 'own', delay: 0 } });
  });

  it('refuses a function catch for a chain that goes through a queue, saying what to pass instead', async () => {
    const { bus } = setup();
    const pushes = recordingQueue(bus);
    const dispatched = bus.chain([new QueuedStep('a')]).catch(function alertOps() {}).dispatch();
    await expect(dispatched).rejects.toBeInstanceOf(ChainCatchNotQueueableError);
    await expect(dispatched).rejects.toThrow(/function alertOps.*Pass a job instead.*chainFailure/s);
    expect(pushes).toEqual([]);
  });
});

describe('dispatcher.dispatchChain()', () => {
  it('is where every chain is dispatched, with its options, so that a stand-in dispatcher sees it whole', async () => {
    const { bus } = setup();
    const seen: unknown[] = [];
    const real = bus.dispatchChain.bind(bus);
    bus.dispatchChain = (jobs, options) => {
      seen.push({ jobs, options });
      return real(jobs, options);
    };
    const [a, b, notify] = [new Step('a'), new Step('b'), new Notify('ops')];
    await bus.chain([a, b]).onQueue('imports').catch(notify).dispatch();
    await Step.withChain([b]).dispatch('c');
    expect(seen).toEqual([
      { jobs: [a, b], options: { catch: [notify], connection: undefined, queue: 'imports', delay: undefined } },
      { jobs: [new Step('c'), b], options: { catch: [], connection: undefined, queue: undefined, delay: undefined } },
    ]);
    expect(trail).toEqual(['start a', 'end a', 'start b', 'end b', 'start c', 'end c', 'start b', 'end b']);
  });

  it('runs a list of jobs as a chain when called directly, and refuses an empty one', async () => {
    const { bus } = setup();
    await bus.dispatchChain([new Step('a'), new Step('b')]);
    expect(trail).toEqual(['start a', 'end a', 'start b', 'end b']);
    await expect(bus.dispatchChain([])).rejects.toBeInstanceOf(InvalidChainError);
  });
});

describe('chain errors', () => {
  it('are EpilogueErrors with stable codes', () => {
    const made = [
      InvalidChainError.empty(),
      InvalidChainError.notAList(1),
      InvalidChainError.forCatch(1),
      InvalidChainError.forClass('Notify'),
      ChainCatchNotQueueableError.forFunction(() => undefined),
    ];
    expect(made.map((error) => [error instanceof EpilogueError, error.name, error.code])).toEqual([
      [true, 'InvalidChainError', 'E_INVALID_CHAIN'],
      [true, 'InvalidChainError', 'E_INVALID_CHAIN'],
      [true, 'InvalidChainError', 'E_INVALID_CHAIN'],
      [true, 'InvalidChainError', 'E_INVALID_CHAIN'],
      [true, 'ChainCatchNotQueueableError', 'E_CHAIN_CATCH_NOT_QUEUEABLE'],
    ]);
  });
});
