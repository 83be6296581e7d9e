import { Application, DependencyResolutionError, injectable, Lifecycle, type ErrorContext, type Next } from '@epilogue/core';
import {
  autowire,
  Dispatcher,
  HandlerNotFoundError,
  InvalidHandlerError,
  InvalidJobError,
  Job,
  ShouldQueue,
  UnresolvableParameterError,
  type QueueConnection,
} from '@epilogue/bus';

function setup() {
  const reports: { error: unknown; context: ErrorContext }[] = [];
  const app = new Application({ report: (error, context) => reports.push({ error, context }) });
  return { app, reports, bus: app.make(Dispatcher) };
}

@injectable()
class Greeter {
  greet(name: string) {
    return `hello ${name}`;
  }
}

class Greet extends Job {
  constructor(public name: string) {
    super();
  }
  @autowire()
  handle(greeter: Greeter) {
    return greeter.greet(this.name);
  }
}

class Add {
  constructor(public a: number, public b: number) {}
  __invoke() {
    return this.a + this.b;
  }
}

/** A job class called `name` whose `handle(greeter)` carries no decorator, as esbuild or plain JavaScript leave it. */
function undecoratedGreeting(name: string, who: string) {
  const type = class extends Job {
    handle(greeter: Greeter) {
      return greeter.greet(who);
    }
  };
  Object.defineProperty(type, 'name', { value: name });
  return type;
}

/** What `promise` rejects with (the test fails if it resolves). */
async function rejection(promise: Promise<unknown>): Promise<Error & { code?: string }> {
  const outcome = await promise.then(
    (value: unknown) => ({ resolved: value }),
    (error: unknown) => ({ error: error as Error & { code?: string } }),
  );
  if (!('error' in outcome)) throw new Error(`expected a rejection, got ${String(outcome.resolved)}`);
  return outcome.error;
}

/** Expects `promise` to reject with a `type` of `code` whose message contains each fragment. */
async function expectRejection(
  promise: Promise<unknown>,
  type: abstract new (...args: never[]) => Error,
  code: string,
  fragments: string[],
): Promise<Error> {
  const error = await rejection(promise);
  expect(error).toBeInstanceOf(type);
  expect(error.code).toBe(code);
  for (const fragment of fragments) expect(error.message).toContain(fragment);
  return error;
}

describe('Dispatcher', () => {
  it('is one per application, resolvable with app.make and injectable into services', () => {
    const { app, bus } = setup();
    @injectable()
    class Registration {
      constructor(readonly dispatcher: Dispatcher) {}
    }
    expect(app.make(Dispatcher)).toBe(bus);
    expect(app.make(Registration).dispatcher).toBe(bus);
    expect(new Application().make(Dispatcher)).not.toBe(bus);
  });

  it('dispatchNow runs the job’s own handle with its parameters resolved from the container', async () => {
    const { bus } = setup();
    await expect(bus.dispatchNow(new Greet('ada'))).resolves.toBe('hello ada');
  });

  it('dispatchNow calls __invoke when there is no handle', async () => {
    const { bus } = setup();
    await expect(bus.dispatchNow(new Add(2, 3))).resolves.toBe(5);
  });

  it('resolves handle parameters in the current scope', async () => {
    const { app, bus } = setup();
    @injectable()
    class RequestId {
      value = '';
    }
    app.container.register(RequestId, RequestId, { lifecycle: Lifecycle.ContainerScoped });
    class ReadId extends Job {
      @autowire()
      handle(id: RequestId) {
        return id.value;
      }
    }
    const result = await app.runInScope(async () => {
      app.make(RequestId).value = 'req-1';
      return bus.dispatchNow(new ReadId());
    });
    expect(result).toBe('req-1');
  });

  it('takes explicit tokens from @autowire(token) for interfaces and strings', async () => {
    const { app, bus } = setup();
    app.container.register('greeting', { useValue: 'hi' });
    class Explicit extends Job {
      @autowire('greeting')
      handle(greeting: string) {
        return greeting;
      }
    }
    await expect(bus.dispatchNow(new Explicit())).resolves.toBe('hi');
  });

  it('rejects with E_UNRESOLVABLE_PARAMETER, leading with the explicit form, when handle takes parameters and has no @autowire', async () => {
    const { bus } = setup();
    class Untyped extends Job {
      handle(value: unknown) {
        return value;
      }
    }
    await expectRejection(bus.dispatchNow(new Untyped()), UnresolvableParameterError, 'E_UNRESOLVABLE_PARAMETER', [
      'Untyped.handle() takes 1 parameter but nothing says what to pass',
      "autowire(Mailer)(Untyped.prototype, 'handle')",
    ]);
  });

  it('says the build emits no decorator metadata when @autowire() is on a method without recorded types', async () => {
    const { bus } = setup();
    const SendWelcome = undecoratedGreeting('SendWelcome', 'ada');
    // What esbuild (tsx, Bun) compiles `@autowire()` to: the legacy decorator call, no metadata.
    autowire()(SendWelcome.prototype, 'handle', Object.getOwnPropertyDescriptor(SendWelcome.prototype, 'handle'));
    const { code, message } = await rejection(bus.dispatchNow(new SendWelcome()));
    expect(code).toBe('E_NO_DECORATOR_METADATA');
    expect(message).toMatch(/^@autowire\(\) is on SendWelcome\.handle\(\), which takes 1 parameter, but no parameter types were recorded: this build emits no decorator metadata/);
    expect(message).toContain('"emitDecoratorMetadata": true');
    expect(message).toContain("@autowire(Mailer, 'config')");
  });

  it('works as a standard (TC39) method decorator: explicit tokens resolve, none say that standard decorators record no types', async () => {
    const { bus } = setup();
    const Standard = undecoratedGreeting('Standard', 'standard');
    const Bare = undecoratedGreeting('Bare', 'bare');
    const context = (name: string) =>
      ({ kind: 'method', name, static: false, private: false, metadata: {}, addInitializer: () => undefined }) as unknown as ClassMethodDecoratorContext;
    autowire(Greeter)(Standard.prototype.handle, context('handle'));
    autowire()(Bare.prototype.handle, context('handle'));
    await expect(bus.dispatchNow(new Standard())).resolves.toBe('hello standard');
    const { code, message } = await rejection(bus.dispatchNow(new Bare()));
    expect(code).toBe('E_NO_DECORATOR_METADATA');
    expect(message).toContain('it ran as a standard (TC39) decorator, and those record no parameter types');
  });

  it('takes explicit tokens given without decorator syntax, as plain JavaScript does', async () => {
    const { bus } = setup();
    const Plain = undecoratedGreeting('Plain', 'plain');
    autowire(Greeter)(Plain.prototype, 'handle');
    await expect(bus.dispatchNow(new Plain())).resolves.toBe('hello plain');
  });

  it('names the job parameter and the fix when the container knows no constructor parameters of a class (E_NO_TYPE_INFO)', async () => {
    const { bus } = setup();
    class Mailer {
      constructor(readonly greeter: Greeter) {}
    }
    class Welcome extends Job {
      @autowire(Mailer)
      handle(mailer: Mailer) {
        return mailer;
      }
    }
    const error = await expectRejection(bus.dispatchNow(new Welcome()), DependencyResolutionError, 'E_NO_TYPE_INFO', [
      'The container cannot build Mailer, needed by parameter 0 of Welcome.handle()',
      'Mark Mailer @injectable()',
      'two copies of tsyringe',
    ]);
    expect((error.cause as Error).message).toContain('TypeInfo not known for "Mailer"');
  });

  it('passes an error thrown by a constructor through unchanged', async () => {
    const { bus } = setup();
    const failure = new Error('no SMTP host configured');
    @injectable()
    class Mailer {
      constructor() {
        throw failure;
      }
    }
    class Welcome extends Job {
      @autowire(Mailer)
      handle(mailer: Mailer) {
        return mailer;
      }
    }
    await expect(bus.dispatchNow(new Welcome())).rejects.toBe(failure);
  });

  it('rejects with E_HANDLER_NOT_FOUND for a job without handler', async () => {
    const { bus } = setup();
    class Nothing {}
    await expect(bus.dispatchNow(new Nothing())).rejects.toMatchObject({ code: 'E_HANDLER_NOT_FOUND' });
    await expect(bus.dispatchNow(new Nothing())).rejects.toBeInstanceOf(HandlerNotFoundError);
  });

  it('rejects with E_INVALID_JOB when something other than an object is dispatched', async () => {
    const { bus } = setup();
    await expect(bus.dispatch('SendEmail' as never)).rejects.toBeInstanceOf(InvalidJobError);
  });

  it('uses a mapped handler class, built with constructor injection and given the job', async () => {
    const { bus } = setup();
    class CreateOrder {
      constructor(public sku: string) {}
    }
    @injectable()
    class CreateOrderHandler {
      constructor(private readonly greeter: Greeter) {}
      handle(command: CreateOrder) {
        return this.greeter.greet(command.sku);
      }
    }
    bus.map(new Map([[CreateOrder, CreateOrderHandler]]));
    expect(bus.hasCommandHandler(new CreateOrder('x'))).toBe(true);
    expect(bus.getCommandHandler(new CreateOrder('x'))).toBe(CreateOrderHandler);
    await expect(bus.dispatch(new CreateOrder('sku-1'))).resolves.toBe('hello sku-1');
  });

  it('accepts a function as mapped handler and refuses a value that is none', async () => {
    const { bus } = setup();
    class Double {
      constructor(public n: number) {}
    }
    bus.map(new Map([[Double, (job: Double) => job.n * 2]]));
    await expect(bus.dispatch(new Double(4))).resolves.toBe(8);
    expect(() => bus.map(new Map([[Double, 42 as never]]))).toThrow(InvalidHandlerError);
  });

  it('sends jobs through the bus pipes in order before the handler', async () => {
    const { bus } = setup();
    const trail: string[] = [];
    bus.pipeThrough([
      async (job: object, next: Next<object>) => {
        trail.push('outer');
        return next(job);
      },
      async (job: object, next: Next<object>) => {
        trail.push('inner');
        return `${await next(job)}!`;
      },
    ]);
    await expect(bus.dispatchNow(new Greet('bo'))).resolves.toBe('hello bo!');
    expect(trail).toEqual(['outer', 'inner']);
  });

  it('dispatchSync runs job middleware and calls failed() once before passing the error on', async () => {
    const { bus } = setup();
    const trail: string[] = [];
    class Flaky extends Job {
      middleware() {
        return [
          (job: object, next: Next<object>) => {
            trail.push('job middleware');
            return next(job);
          },
        ];
      }
      handle() {
        trail.push('handle');
        throw new Error('flaky');
      }
      failed(error: unknown) {
        trail.push(`failed: ${(error as Error).message}`);
      }
    }
    await expect(bus.dispatchSync(new Flaky())).rejects.toThrow('flaky');
    expect(trail).toEqual(['job middleware', 'handle', 'failed: flaky']);
  });

  it('runQueued runs job middleware and bus pipes but leaves the failed() hook to jobFailed()', async () => {
    const { bus, reports } = setup();
    const trail: string[] = [];
    bus.pipeThrough([
      (job: object, next: Next<object>) => {
        trail.push('bus pipe');
        return next(job);
      },
    ]);
    class Attempt extends Job {
      middleware() {
        return [
          (job: object, next: Next<object>) => {
            trail.push('job middleware');
            return next(job);
          },
        ];
      }
      handle() {
        trail.push('handle');
        throw new Error('attempt');
      }
      failed(error: unknown) {
        trail.push(`failed: ${(error as Error).message}`);
        throw new Error('hook broke');
      }
    }
    const job = new Attempt();
    const error = await bus.runQueued(job).catch((caught: unknown) => caught);
    expect(trail).toEqual(['job middleware', 'bus pipe', 'handle']);
    await bus.jobFailed(job, error);
    expect(trail).toEqual(['job middleware', 'bus pipe', 'handle', 'failed: attempt']);
    expect(reports.map((report) => report.context)).toEqual([
      expect.objectContaining({ phase: 'failed-hook', job: 'Attempt' }),
    ]);
  });

  it('reports a failed job in one shape, after the response or at once', async () => {
    const { app, bus, reports } = setup();
    class Fails extends Job {
      handle() {
        throw new Error('fails');
      }
    }
    await app.runInScope(() => bus.dispatchAfterResponse(new Fails()));
    bus.withoutDispatchingAfterResponses();
    await app.runInScope(() => bus.dispatchAfterResponse(new Fails()));
    bus.withDispatchingAfterResponses();
    bus.reportFailure(new Error('from a worker'), 'Fails', { connection: 'redis', attempt: 2 });
    const shape = { phase: 'job', scope: expect.any(String), job: 'Fails' };
    expect(reports.map((report) => report.context)).toEqual([
      expect.objectContaining(shape),
      expect.objectContaining(shape),
      expect.objectContaining({ ...shape, connection: 'redis', attempt: 2 }),
    ]);
  });

  it('dispatchNow skips job middleware and the failed() hook', async () => {
    const { bus } = setup();
    const failed = jest.fn();
    const middleware = jest.fn();
    class Plain extends Job {
      middleware() {
        return [middleware];
      }
      handle() {
        throw new Error('plain');
      }
      failed = failed;
    }
    await expect(bus.dispatchNow(new Plain())).rejects.toThrow('plain');
    expect(middleware).not.toHaveBeenCalled();
    expect(failed).not.toHaveBeenCalled();
  });

  it('dispatchAfterResponse runs the job when the scope ends, not before', async () => {
    const { app, bus } = setup();
    const trail: string[] = [];
    class Later extends Job {
      handle() {
        trail.push('job');
      }
    }
    await app.runInScope(async () => {
      await bus.dispatchAfterResponse(new Later());
      trail.push('work done');
    });
    expect(trail).toEqual(['work done', 'job']);
  });

  it('dispatchAfterResponse outside any scope waits for app.terminate()', async () => {
    const { app, bus } = setup();
    const handle = jest.fn();
    class Later extends Job {
      handle = handle;
    }
    await bus.dispatchAfterResponse(new Later());
    expect(handle).not.toHaveBeenCalled();
    await app.terminate();
    expect(handle).toHaveBeenCalledTimes(1);
  });

  it('reports a failing after-response job with its name and runs the failed() hook', async () => {
    const { app, bus, reports } = setup();
    const failed = jest.fn();
    class Broken extends Job {
      handle() {
        throw new Error('broken');
      }
      failed = failed;
    }
    await app.runInScope(() => bus.dispatchAfterResponse(new Broken()));
    expect(failed).toHaveBeenCalledTimes(1);
    expect(reports).toHaveLength(1);
    expect(reports[0].context).toMatchObject({ phase: 'job', job: 'Broken' });
  });

  it('withoutDispatchingAfterResponses runs after-response jobs at once and reports failures', async () => {
    const { app, bus, reports } = setup();
    const handle = jest.fn();
    class Now extends Job {
      handle = handle;
    }
    class Fails extends Job {
      handle() {
        throw new Error('now');
      }
    }
    bus.withoutDispatchingAfterResponses();
    await app.runInScope(async () => {
      await bus.dispatchAfterResponse(new Now());
      expect(handle).toHaveBeenCalledTimes(1);
      await bus.dispatchAfterResponse(new Fails());
    });
    expect(reports).toHaveLength(1);
    bus.withDispatchingAfterResponses();
  });

  it('dispatch sends ShouldQueue jobs to the queue connection with their queue and delay', async () => {
    const { bus } = setup();
    const pushed: unknown[] = [];
    const connection: QueueConnection = {
      push: async (job, options) => {
        pushed.push({ job, options });
        return 'job-1';
      },
    };
    const names: (string | undefined)[] = [];
    bus.setQueueResolver({
      connection: (name) => {
        names.push(name);
        return connection;
      },
    });
    @ShouldQueue()
    class Podcast extends Job {
      handle() {
        return 'ran';
      }
    }
    const job = Object.assign(new Podcast(), { connection: 'redis', queue: 'audio', delay: 5 });
    await expect(bus.dispatch(job)).resolves.toBe('job-1');
    expect(names).toEqual(['redis']);
    expect(pushed).toEqual([{ job, options: { queue: 'audio', delay: 5 } }]);
  });

  it('gives back the queue resolver it was given, and goes back to running in this process without one', async () => {
    const { bus } = setup();
    const resolver = { connection: (): QueueConnection => ({ push: async () => 'queued' }) };
    @ShouldQueue()
    class Queued extends Job {
      handle() {
        return 'ran';
      }
    }
    expect([bus.queueResolver(), bus.hasQueueResolver()]).toEqual([undefined, false]);
    bus.setQueueResolver(resolver);
    expect([bus.queueResolver(), bus.hasQueueResolver()]).toEqual([resolver, true]);
    await expect(bus.dispatch(new Queued())).resolves.toBe('queued');
    bus.setQueueResolver(undefined);
    expect([bus.queueResolver(), bus.hasQueueResolver()]).toEqual([undefined, false]);
    await expect(bus.dispatch(new Queued())).resolves.toBe('ran');
  });

  it('runs ShouldQueue jobs at once on the default sync connection, with failed()', async () => {
    const { bus } = setup();
    const failed = jest.fn();
    @ShouldQueue()
    class Queued extends Job {
      handle() {
        throw new Error('sync failure');
      }
      failed = failed;
    }
    await expect(bus.dispatch(new Queued())).rejects.toThrow('sync failure');
    expect(failed).toHaveBeenCalledTimes(1);
  });

  it('emits dispatched, processing, processed and failed events', async () => {
    const { bus } = setup();
    const events: string[] = [];
    const off = bus.on('dispatched', ({ mode }) => events.push(`dispatched ${mode}`));
    bus.on('processing', () => events.push('processing'));
    bus.on('processed', ({ result }) => events.push(`processed ${result}`));
    bus.on('failed', ({ error }) => events.push(`failed ${(error as Error).message}`));
    await bus.dispatchNow(new Add(1, 1));
    class Fails extends Job {
      handle() {
        throw new Error('x');
      }
    }
    await expect(bus.dispatchSync(new Fails())).rejects.toThrow('x');
    off();
    await bus.dispatchNow(new Add(1, 1));
    expect(events).toEqual([
      'dispatched now',
      'processing',
      'processed 2',
      'dispatched sync',
      'processing',
      'failed x',
      'processing',
      'processed 2',
    ]);
  });

  it('reports a throwing event listener without failing the job', async () => {
    const { bus, reports } = setup();
    bus.on('processing', () => {
      throw new Error('listener');
    });
    await expect(bus.dispatchNow(new Add(1, 2))).resolves.toBe(3);
    expect(reports[0].context).toMatchObject({ phase: 'job-event' });
  });
});
