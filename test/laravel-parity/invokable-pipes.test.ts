import { Dispatcher, Job } from '@epilogue/bus';
import { Application, injectable, InvalidPipeError, Pipeline, type Next } from '@epilogue/core';

const trail: string[] = [];

@injectable()
class Prefix {
  text = '>';
}

@injectable()
class AddPrefix {
  constructor(private prefix: Prefix) {}
  __invoke(value: string, next: Next<string>) {
    return next(this.prefix.text + value);
  }
}

class Audit {
  __invoke(job: object, next: Next<object>) {
    trail.push(`audit ${job.constructor.name}`);
    return next(job);
  }
}

class NeitherMethod {
  run(value: unknown, next: Next<unknown>) {
    return next(value);
  }
}

class Ship extends Job {
  handle() {
    trail.push('ship');
    return 'shipped';
  }
}

class ShipGuarded extends Ship {
  middleware() {
    return [Audit];
  }
}

describe('a pipe class with only __invoke() is called as Laravel calls an invokable pipe', () => {
  beforeEach(() => {
    trail.length = 0;
  });

  it('in a Pipeline: built by the container, with constructor injection, and invoked', async () => {
    const app = new Application();
    await expect(app.make(Pipeline<string>).send('x').through([AddPrefix]).thenReturn()).resolves.toBe('>x');
    const invokable = { __invoke: (value: string, next: Next<string>) => next(`${value}!`) };
    await expect(app.make(Pipeline<string>).send('x').through([invokable]).thenReturn()).resolves.toBe('x!');
  });

  it('as a bus pipe and as job middleware', async () => {
    const app = new Application();
    const bus = app.make(Dispatcher).pipeThrough([Audit]);
    await expect(bus.dispatchNow(new Ship())).resolves.toBe('shipped');
    await expect(bus.dispatchSync(new ShipGuarded())).resolves.toBe('shipped');
    expect(trail).toEqual(['audit Ship', 'ship', 'audit ShipGuarded', 'audit ShipGuarded', 'ship']);
  });

  it('a pipe class with neither handle() nor __invoke() is refused with InvalidPipeError saying what to write', async () => {
    const app = new Application();
    const run = app.make(Pipeline).send(1).through([NeitherMethod]).thenReturn();
    await expect(run).rejects.toBeInstanceOf(InvalidPipeError);
    await expect(app.make(Pipeline).send(1).through([NeitherMethod]).thenReturn()).rejects.toMatchObject({
      code: 'E_INVALID_PIPE',
      message: expect.stringMatching(/NeitherMethod has neither a handle\(\) nor an __invoke\(\) method. Give it handle\(passable, next\)/),
    });
    await expect(app.make(Dispatcher).pipeThrough([NeitherMethod]).dispatchNow(new Ship())).rejects.toBeInstanceOf(
      InvalidPipeError,
    );
  });
});
