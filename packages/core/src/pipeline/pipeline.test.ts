import { Application, composePipes, injectable, InvalidPipeError, NextCalledTwiceError, Pipeline, type Next } from '@epilogue/core';

describe('Pipeline', () => {
  const app = new Application();

  it('runs pipes as an onion: in order on the way in, reversed on the way out', async () => {
    const trail: string[] = [];
    const pipe = (name: string) => async (value: string, next: Next<string>) => {
      trail.push(`${name} in`);
      const result = await next(`${value}${name}`);
      trail.push(`${name} out`);
      return result;
    };
    const result = await app
      .make(Pipeline<string>)
      .send('')
      .through([pipe('a'), pipe('b')])
      .then((value) => {
        trail.push(`destination ${value}`);
        return value.toUpperCase();
      });
    expect(result).toBe('AB');
    expect(trail).toEqual(['a in', 'b in', 'destination ab', 'b out', 'a out']);
  });

  it('lets a pipe short-circuit without reaching the destination', async () => {
    const destination = jest.fn();
    const result = await app
      .make(Pipeline<number, string>)
      .send(1)
      .through([() => 'stopped', destination])
      .then(destination);
    expect(result).toBe('stopped');
    expect(destination).not.toHaveBeenCalled();
  });

  it('rejects with E_NEXT_CALLED_TWICE when a pipe calls next twice', async () => {
    const twice = async (value: number, next: Next<number>) => {
      await next(value);
      return next(value);
    };
    const run = app.make(Pipeline<number>).send(1).through([twice]).then((value) => value);
    await expect(run).rejects.toBeInstanceOf(NextCalledTwiceError);
    await expect(run).rejects.toMatchObject({ code: 'E_NEXT_CALLED_TWICE' });
  });

  it('resolves class pipes from the container, with constructor injection', async () => {
    @injectable()
    class Suffix {
      readonly text = '!';
    }
    @injectable()
    class AddSuffix {
      constructor(private readonly suffix: Suffix) {}
      handle(value: string, next: Next<string>) {
        return next(value + this.suffix.text);
      }
    }
    const result = await app.make(Pipeline<string>).send('hi').through([AddSuffix]).thenReturn();
    expect(result).toBe('hi!');
  });

  it('calls object pipes through the method named by via()', async () => {
    const pipe = { transform: (value: number, next: Next<number>) => next(value * 2) };
    const result = await app.make(Pipeline<number>).send(21).through([pipe]).via('transform').thenReturn();
    expect(result).toBe(42);
  });

  it('returns the destination result at once when there are no pipes', async () => {
    await expect(app.make(Pipeline<number>).send(2).then((value) => value + 1)).resolves.toBe(3);
  });

  it('refuses a pipe of no usable kind with E_INVALID_PIPE', async () => {
    const run = app.make(Pipeline<number>).send(1).through([42 as never]).thenReturn();
    await expect(run).rejects.toBeInstanceOf(InvalidPipeError);
  });

  it('lets pipes be added with pipe() after through()', async () => {
    const add = (n: number) => (value: number, next: Next<number>) => next(value + n);
    const result = await app.make(Pipeline<number>).send(0).through([add(1)]).pipe(add(10)).thenReturn();
    expect(result).toBe(11);
  });
});

describe('composePipes', () => {
  const app = new Application();
  const container = () => app.container;

  it('composes a pipe list once and runs it many times, each run on its own', async () => {
    const double = (value: number, next: Next<number, number>) => next(value * 2);
    const run = composePipes<number, number>([double, { handle: (value: number, next: Next<number, number>) => next(value + 1) }]);
    await expect(Promise.all([run(1, (value) => value, container), run(5, (value) => value * 10, container)])).resolves.toEqual([
      3, 110,
    ]);
  });

  it('keeps runs that interleave apart: each reaches its own destination, and one next per run is allowed', async () => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const run = composePipes<number, number>([
      async (value: number, next: Next<number, number>) => {
        await gate;
        return next(value);
      },
      (value: number, next: Next<number, number>) => next(value + 1),
    ]);
    const first = run(1, (value) => value * 10, container);
    const second = run(2, (value) => value * 100, container);
    release();
    await expect(Promise.all([first, second])).resolves.toEqual([20, 300]);
  });

  it('rejects, not throws, when a pipe throws, and names the pipe that called next twice', async () => {
    const run = composePipes<number>([
      function twice(value: number, next: Next<number>) {
        void next(value);
        return next(value);
      },
    ]);
    await expect(run(1, (value) => value, container)).rejects.toThrow(/twice/);
    const throwing = composePipes<number>([
      () => {
        throw new Error('pipe broke');
      },
    ]);
    await expect(throwing(1, (value) => value, container)).rejects.toThrow('pipe broke');
  });
});
