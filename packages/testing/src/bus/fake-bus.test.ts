import { Dispatcher, Job, ShouldQueue } from '@epilogue/bus';
import { Application, injectable } from '@epilogue/core';
import { configureQueues, MemoryDriver } from '@epilogue/queue';
import { FakeAlreadyInstalledError, fakeBus, InvalidFakeOptionError, restoreFakes } from '@epilogue/testing';

const ran: string[] = [];

class SendWelcomeEmail extends Job {
  constructor(public email: string) {
    super();
  }
  handle() {
    ran.push(`welcome ${this.email}`);
    return `sent to ${this.email}`;
  }
}

class ChargeCard extends Job {
  constructor(public amount: number) {
    super();
  }
  handle() {
    ran.push(`charge ${this.amount}`);
    return 'charged';
  }
}

@ShouldQueue()
class SendInvoice extends Job {
  constructor(public invoiceId: number) {
    super();
  }
  handle() {
    ran.push(`invoice ${this.invoiceId}`);
  }
}

@injectable()
class Registration {
  constructor(private bus: Dispatcher) {}
  register(email: string) {
    return this.bus.dispatchAfterResponse(new SendWelcomeEmail(email));
  }
}

function setup() {
  ran.length = 0;
  const app = new Application({ report: () => undefined });
  return { app, dispatcher: app.make(Dispatcher) };
}

afterEach(() => restoreFakes());

describe('fakeBus() records instead of running', () => {
  it('records every dispatcher method with how the job was dispatched, and runs nothing', async () => {
    const { app, dispatcher } = setup();
    const bus = fakeBus(app);
    const jobs = [1, 2, 3, 4, 5].map((n) => new SendWelcomeEmail(`${n}@example.com`));
    await dispatcher.dispatch(jobs[0]);
    await dispatcher.dispatchNow(jobs[1]);
    await dispatcher.dispatchSync(jobs[2]);
    await dispatcher.dispatchAfterResponse(jobs[3]);
    await dispatcher.dispatchToQueue(jobs[4]);
    await app.terminate();
    expect(bus.records.map((record) => [record.job, record.method])).toEqual([
      [jobs[0], 'dispatch'],
      [jobs[1], 'dispatchNow'],
      [jobs[2], 'dispatchSync'],
      [jobs[3], 'dispatchAfterResponse'],
      [jobs[4], 'dispatchToQueue'],
    ]);
    expect(ran).toEqual([]);
  });

  it('records the static helpers and PendingDispatch options', async () => {
    const { app } = setup();
    const bus = fakeBus(app);
    await SendWelcomeEmail.dispatch('a@example.com');
    await SendWelcomeEmail.dispatchSync('b@example.com');
    SendWelcomeEmail.dispatchAfterResponse('c@example.com');
    await SendWelcomeEmail.dispatch('d@example.com').afterResponse();
    await SendWelcomeEmail.dispatchIf(true, 'e@example.com');
    await SendInvoice.dispatch(7).onQueue('billing').delay(30);
    expect(bus.records.map((record) => [(record.job as { email?: string }).email, record.method])).toEqual([
      ['a@example.com', 'dispatch'],
      ['b@example.com', 'dispatchSync'],
      ['c@example.com', 'dispatchAfterResponse'],
      ['d@example.com', 'dispatchAfterResponse'],
      ['e@example.com', 'dispatch'],
      [undefined, 'dispatch'],
    ]);
    expect(bus.dispatched(SendInvoice)[0]).toMatchObject({ invoiceId: 7, queue: 'billing', delay: 30 });
    expect(ran).toEqual([]);
  });

  it('is seen by services that took the Dispatcher in their constructor before the fake', async () => {
    const { app } = setup();
    const registration = app.make(Registration);
    const bus = fakeBus(app);
    await registration.register('ada@example.com');
    await app.terminate();
    bus.assertDispatchedAfterResponse(SendWelcomeEmail, (job) => job.email === 'ada@example.com');
    expect(ran).toEqual([]);
  });

  it('records jobs dispatched from inside a request scope, and resolves dispatches to undefined', async () => {
    const { app } = setup();
    const bus = fakeBus(app);
    const result = await app.runInScope(() => SendWelcomeEmail.dispatch('ada@example.com'), { kind: 'http' });
    expect(result).toBeUndefined();
    bus.assertDispatched(SendWelcomeEmail);
  });

  it('records a chain as its first job with the rest, from dispatcher.chain() and Job.withChain()', async () => {
    const { app, dispatcher } = setup();
    const bus = fakeBus(app);
    const [charge, welcome] = [new ChargeCard(10), new SendWelcomeEmail('ada@example.com')];
    const notify = new SendWelcomeEmail('ops@example.com');
    await dispatcher.chain([charge, welcome]).onQueue('billing').catch(notify).dispatch();
    await ChargeCard.withChain([welcome]).dispatch(20);
    expect(bus.records).toEqual([
      { job: charge, method: 'dispatchChain', chain: { jobs: [welcome], catch: [notify], queue: 'billing' } },
      { job: new ChargeCard(20), method: 'dispatchChain', chain: { jobs: [welcome], catch: [] } },
    ]);
    expect(ran).toEqual([]);
  });

  it('records a queued chain dispatched straight to the queue with its options', async () => {
    const { app, dispatcher } = setup();
    const bus = fakeBus(app);
    const [first, second] = [new SendInvoice(1), new SendInvoice(2)];
    await dispatcher.dispatchToQueue(first, { jobs: [second], catch: [], connection: 'redis', delay: 5 });
    expect(bus.records).toEqual([
      { job: first, method: 'dispatchToQueue', chain: { jobs: [second], catch: [], connection: 'redis', delay: 5 } },
    ]);
  });
});

describe('fakeBus() with only and except', () => {
  it('fakes only the listed classes; the others run for real and are not recorded', async () => {
    const { app } = setup();
    const bus = fakeBus(app, { only: [SendWelcomeEmail] });
    await SendWelcomeEmail.dispatch('ada@example.com');
    expect(await ChargeCard.dispatch(10)).toBe('charged');
    expect(ran).toEqual(['charge 10']);
    expect(bus.records.map((record) => record.job.constructor)).toEqual([SendWelcomeEmail]);
  });

  it('fakes everything except the listed classes', async () => {
    const { app } = setup();
    const bus = fakeBus(app, { except: [ChargeCard] });
    await SendWelcomeEmail.dispatchSync('ada@example.com');
    await ChargeCard.dispatchSync(10);
    expect(ran).toEqual(['charge 10']);
    bus.assertDispatchedSync(SendWelcomeEmail);
    bus.assertNotDispatched(ChargeCard);
  });

  it('records a faked job dispatched by a job that runs for real', async () => {
    class Register extends Job {
      handle() {
        ran.push('register');
        SendWelcomeEmail.dispatchAfterResponse('ada@example.com');
      }
    }
    const { app } = setup();
    const bus = fakeBus(app, { only: [SendWelcomeEmail] });
    await Register.dispatch();
    await app.terminate();
    expect(ran).toEqual(['register']);
    bus.assertDispatchedAfterResponse(SendWelcomeEmail);
  });

  it('passes a chain whose first job is not faked to the real dispatcher, which records the faked ones it runs', async () => {
    const { app, dispatcher } = setup();
    const bus = fakeBus(app, { only: [SendWelcomeEmail] });
    await dispatcher.chain([new ChargeCard(10), new SendWelcomeEmail('ada@example.com')]).dispatch();
    expect(ran).toEqual(['charge 10']);
    expect(bus.records.map((record) => record.method)).toEqual(['dispatchSync']);
  });

  it('sends unfaked ShouldQueue jobs to the real queue', async () => {
    const { app } = setup();
    const manager = configureQueues(app, { default: 'memory', connections: { memory: new MemoryDriver() } });
    fakeBus(app, { except: [SendInvoice] });
    await SendInvoice.dispatch(7);
    expect(await manager.size()).toBe(1);
  });

  it('refuses options that are not lists of classes', () => {
    const { app } = setup();
    expect(() => fakeBus(app, { only: SendWelcomeEmail as never })).toThrow(InvalidFakeOptionError);
    expect(() => fakeBus(app, { except: ['ChargeCard'] as never })).toThrow(/`except` option takes a list of classes.*string ChargeCard/);
  });
});

describe('restoring fakeBus()', () => {
  it('puts the real dispatcher back: jobs run again, and the instance has no own methods left', async () => {
    const { app, dispatcher } = setup();
    const registration = app.make(Registration);
    const bus = fakeBus(app);
    expect(Object.getOwnPropertyNames(dispatcher)).toContain('dispatch');
    bus.restore();
    expect(Object.getOwnPropertyNames(dispatcher).filter((name) => name.startsWith('dispatch'))).toEqual([]);
    await registration.register('ada@example.com');
    await app.terminate();
    expect(ran).toEqual(['welcome ada@example.com']);
    expect(bus.records).toEqual([]);
  });

  it('keeps the records readable after restore, and restore() twice is harmless', async () => {
    const { app } = setup();
    const bus = fakeBus(app);
    await SendWelcomeEmail.dispatch('ada@example.com');
    bus.restore();
    bus.restore();
    bus.assertDispatched(SendWelcomeEmail);
  });

  it('refuses a second fake on the same application until the first is restored', () => {
    const { app } = setup();
    const first = fakeBus(app);
    expect(() => fakeBus(app)).toThrow(FakeAlreadyInstalledError);
    expect(() => fakeBus(app)).toThrow(/already called.*restore\(\).*useFakes\(\)/);
    first.restore();
    expect(() => fakeBus(app)).not.toThrow();
  });

  it('restoreFakes() restores every fake not restored yet, on every application', async () => {
    const a = setup().app;
    const b = setup().app;
    fakeBus(a);
    fakeBus(b);
    restoreFakes();
    await a.make(Dispatcher).dispatch(new ChargeCard(1));
    await b.make(Dispatcher).dispatch(new ChargeCard(2));
    expect(ran).toEqual(['charge 1', 'charge 2']);
  });

  it('leaves other applications alone', async () => {
    const faked = setup().app;
    const other = new Application({ report: () => undefined });
    fakeBus(faked);
    await other.make(Dispatcher).dispatch(new ChargeCard(3));
    expect(ran).toEqual(['charge 3']);
  });
});
