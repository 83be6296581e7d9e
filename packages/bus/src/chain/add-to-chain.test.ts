import { Dispatcher, InvalidJobError, Job, NotInChainError } from '@epilogue/bus';
import { Application } from '@epilogue/core';

// Jobs that add to their chain as they run, in a chain that runs in this process.

const trail: string[] = [];

class Step extends Job {
  constructor(public label: string) {
    super();
  }
  handle() {
    trail.push(this.label);
  }
}

class Breaks extends Job {
  handle(): never {
    trail.push('breaks');
    throw new Error('broke');
  }
}

class Grows extends Job {
  constructor(
    public label: string,
    public prepend: Job[] = [],
    public append: Job[] = [],
  ) {
    super();
  }
  handle() {
    trail.push(this.label);
    for (const job of this.prepend) this.prependToChain(job);
    for (const job of this.append) this.appendToChain(job);
  }
}

function setup() {
  trail.length = 0;
  const app = new Application();
  return app.make(Dispatcher);
}

describe('prependToChain() and appendToChain() in a chain that runs in this process', () => {
  it('runs prepended jobs next (the last one prepended first) and appended ones at the end', async () => {
    const bus = setup();
    const first = new Grows('a', [new Step('p1'), new Step('p2')], [new Step('z')]);
    await bus.chain([first, new Step('b'), new Grows('c', [], [new Step('y')])]).dispatch();
    expect(trail).toEqual(['a', 'p2', 'p1', 'b', 'c', 'z', 'y']);
  });

  it('lets an added job add more, and stops at an added job that fails, with the chain’s catch', async () => {
    const bus = setup();
    const caught: string[] = [];
    const chain = bus
      .chain([new Grows('a', [new Grows('b', [], [new Breaks()])]), new Step('c')])
      .catch((error) => caught.push((error as Error).message));
    await expect(chain.dispatch()).rejects.toThrow('broke');
    expect(trail).toEqual(['a', 'b', 'c', 'breaks']);
    expect(caught).toEqual(['broke']);
  });

  it('throws NotInChainError outside a chain and queue, instead of dropping the job', async () => {
    const bus = setup();
    await expect(bus.dispatchSync(new Grows('alone', [], [new Step('lost')]))).rejects.toThrow(NotInChainError);
    await expect(bus.dispatchNow(new Grows('alone', [new Step('lost')]))).rejects.toMatchObject({ code: 'E_NOT_IN_CHAIN' });
    // A job's chain is there only while it runs in it.
    const job = new Step('done');
    await bus.chain([job]).dispatch();
    expect(() => job.appendToChain(new Step('late'))).toThrow(/Step\.appendToChain\(\) was called while Step was not running/);
    expect(trail).toEqual(['alone', 'alone', 'done']);
  });

  it('refuses what is not a job, and a job of a batch', async () => {
    const bus = setup();
    await expect(bus.chain([new Grows('a', [42 as never])]).dispatch()).rejects.toThrow(InvalidJobError);
    const member = Object.assign(new Step('member'), { batchId: 'b1' });
    expect(() => member.prependToChain(new Step('x'))).toThrow(expect.objectContaining({ code: 'E_CHAIN_IN_BATCH' }));
  });
});
