import { Dispatcher, Job } from '@epilogue/bus';
import { Application } from '@epilogue/core';
import { fakeBus, InvalidExpectationError, restoreFakes } from '@epilogue/testing';
import { failureOf } from '../../test/failure-of.js';

class SendWelcomeEmail extends Job {
  constructor(public email: string) {
    super();
  }
  handle() {}
}

class ChargeCard extends Job {
  constructor(public amount: number) {
    super();
  }
  handle() {}
}

class IndexFeed extends Job {
  constructor(public feedId: number) {
    super();
  }
  handle() {}
}

/** The AssertionError `fn` throws; fails the test when it throws nothing or something else. */

async function scenario() {
  const app = new Application({ report: () => undefined });
  const bus = fakeBus(app);
  const dispatcher = app.make(Dispatcher);
  await SendWelcomeEmail.dispatchSync('ada@example.com');
  SendWelcomeEmail.dispatchAfterResponse('bob@example.com');
  await ChargeCard.dispatch(100);
  return { app, bus, dispatcher };
}

afterEach(() => restoreFakes());

describe('assertDispatched', () => {
  it('passes for a job dispatched any way, with a predicate that one passes, and with the exact count', async () => {
    const { bus } = await scenario();
    bus.assertDispatched(SendWelcomeEmail);
    bus.assertDispatched(ChargeCard);
    bus.assertDispatched(SendWelcomeEmail, (job) => job.email === 'bob@example.com');
    bus.assertDispatched(SendWelcomeEmail, (_job, record) => record.method === 'dispatchSync');
    bus.assertDispatched(SendWelcomeEmail, 2);
    bus.assertDispatchedTimes(ChargeCard, 1);
  });

  it('fails for a job never dispatched, naming it and listing what was dispatched', async () => {
    const { bus } = await scenario();
    const error = failureOf(() => bus.assertDispatched(IndexFeed));
    expect(error.message).toBe(
      [
        'Expected IndexFeed to be dispatched, but it was not.',
        'Dispatched jobs (3):',
        "  1. SendWelcomeEmail { email: 'ada@example.com' } (dispatchSync)",
        "  2. SendWelcomeEmail { email: 'bob@example.com' } (dispatchAfterResponse)",
        '  3. ChargeCard { amount: 100 } (dispatch)',
      ].join('\n'),
    );
  });

  it('fails when no job passes the predicate, showing the predicate and where it was asserted', async () => {
    const { bus } = await scenario();
    const error = failureOf(() => bus.assertDispatched(SendWelcomeEmail, (job) => job.email === 'eve@example.com'));
    const lines = error.message.split('\n');
    expect(lines[0]).toBe(
      'Expected SendWelcomeEmail to be dispatched matching the predicate, but none of the 2 SendWelcomeEmail jobs dispatched matched.',
    );
    expect(lines[1]).toMatch(/^ {2}predicate: \(job\) ?=> ?job\.email === 'eve@example\.com'$/);
    expect(lines[2]).toMatch(/^ {2}asserted at packages\/testing\/src\/bus\/bus-assertions\.test\.ts:\d+:\d+:$/);
    expect(lines[3]).toBe(
      "    const error = failureOf(() => bus.assertDispatched(SendWelcomeEmail, (job) => job.email === 'eve@example.com'));",
    );
    expect(lines[4]).toBe('Dispatched jobs (3):');
  });

  it('starts the failure’s stack at the test, not inside the fake', async () => {
    const { bus } = await scenario();
    const error = failureOf(() => bus.assertDispatched(IndexFeed));
    expect(error.stack?.split('\n').find((line) => line.includes(' at '))).toContain('bus-assertions.test.ts');
  });

  it('fails for a predicate when nothing of the class was dispatched', async () => {
    const { bus } = await scenario();
    const error = failureOf(() => bus.assertDispatched(IndexFeed, (job) => job.feedId === 1));
    expect(error.message).toMatch(/^Expected IndexFeed to be dispatched matching the predicate, but no IndexFeed was dispatched\.\n/);
  });

  it('fails with a count to compare when the count differs', async () => {
    const { bus } = await scenario();
    const error = failureOf(() => bus.assertDispatched(SendWelcomeEmail, 3));
    expect(error.message).toMatch(/^Expected SendWelcomeEmail to be dispatched 3 times, but it was dispatched twice\.\nDispatched jobs \(3\):/);
    expect([error.actual, error.expected, error.operator]).toEqual([2, 3, 'strictEqual']);
    const never = failureOf(() => bus.assertDispatchedTimes(IndexFeed, 1));
    expect(never.message).toMatch(/^Expected IndexFeed to be dispatched once, but it was not dispatched\./);
  });

  it('refuses what is not a class, predicate or count, with a typed error', async () => {
    const { bus } = await scenario();
    expect(() => bus.assertDispatched('SendWelcomeEmail' as never)).toThrow(InvalidExpectationError);
    expect(() => bus.assertDispatched(SendWelcomeEmail, -1)).toThrow(/assertDispatched\(\) needs a count that is a whole number ≥ 0; got number -1/);
    expect(() => bus.assertNotDispatched(SendWelcomeEmail, 'x' as never)).toThrow(/needs a predicate function/);
  });

  it('matches the exact class: a subclass is another job', async () => {
    class SendVipWelcomeEmail extends SendWelcomeEmail {}
    const app = new Application({ report: () => undefined });
    const bus = fakeBus(app);
    await SendVipWelcomeEmail.dispatch('vip@example.com');
    bus.assertDispatched(SendVipWelcomeEmail);
    bus.assertNotDispatched(SendWelcomeEmail);
  });
});

describe('assertNotDispatched and assertNothingDispatched', () => {
  it('pass when nothing (matching) was dispatched', async () => {
    const { bus } = await scenario();
    bus.assertNotDispatched(IndexFeed);
    bus.assertNotDispatched(SendWelcomeEmail, (job) => job.email === 'eve@example.com');
    const empty = fakeBus(new Application());
    empty.assertNothingDispatched();
    empty.assertNotDispatched(SendWelcomeEmail);
  });

  it('fail listing the jobs that should not have been dispatched', async () => {
    const { bus } = await scenario();
    expect(failureOf(() => bus.assertNotDispatched(SendWelcomeEmail)).message).toBe(
      [
        'Expected SendWelcomeEmail not to be dispatched, but it was, twice:',
        "  - SendWelcomeEmail { email: 'ada@example.com' } (dispatchSync)",
        "  - SendWelcomeEmail { email: 'bob@example.com' } (dispatchAfterResponse)",
      ].join('\n'),
    );
    const matching = failureOf(() => bus.assertNotDispatched(SendWelcomeEmail, (job) => job.email.startsWith('bob')));
    const lines = matching.message.split('\n');
    expect(lines.slice(0, 2)).toEqual([
      'Expected SendWelcomeEmail not to be dispatched matching the predicate, but it was:',
      "  - SendWelcomeEmail { email: 'bob@example.com' } (dispatchAfterResponse)",
    ]);
    expect(lines[2]).toMatch(/^ {2}predicate: \(job\) ?=> ?job\.email\.startsWith\('bob'\)$/);
    expect(failureOf(() => bus.assertNothingDispatched()).message).toBe(
      [
        'Expected nothing to be dispatched, but 3 jobs were:',
        "  - SendWelcomeEmail { email: 'ada@example.com' } (dispatchSync)",
        "  - SendWelcomeEmail { email: 'bob@example.com' } (dispatchAfterResponse)",
        '  - ChargeCard { amount: 100 } (dispatch)',
      ].join('\n'),
    );
  });
});

describe('assertDispatchedSync', () => {
  it('passes only for jobs dispatched with dispatchSync', async () => {
    const { bus } = await scenario();
    bus.assertDispatchedSync(SendWelcomeEmail);
    bus.assertDispatchedSync(SendWelcomeEmail, (job) => job.email === 'ada@example.com');
    bus.assertDispatchedSync(SendWelcomeEmail, 1);
    bus.assertNotDispatchedSync(ChargeCard);
  });

  it('fails for a job dispatched another way, and the list shows how it was', async () => {
    const { bus } = await scenario();
    const error = failureOf(() => bus.assertDispatchedSync(ChargeCard));
    expect(error.message).toMatch(/^Expected ChargeCard to be dispatched with dispatchSync, but it was not\.\n/);
    expect(error.message).toContain('3. ChargeCard { amount: 100 } (dispatch)');
    const wrong = failureOf(() => bus.assertDispatchedSync(SendWelcomeEmail, (job) => job.email === 'bob@example.com'));
    expect(wrong.message).toMatch(/but the SendWelcomeEmail dispatched with dispatchSync did not match\./);
    expect(failureOf(() => bus.assertNotDispatchedSync(SendWelcomeEmail)).message).toMatch(
      /^Expected SendWelcomeEmail not to be dispatched with dispatchSync, but it was:/,
    );
  });
});

describe('assertDispatchedAfterResponse', () => {
  it('passes for dispatchAfterResponse, Job.dispatchAfterResponse() and PendingDispatch.afterResponse()', async () => {
    const { app, bus, dispatcher } = await scenario();
    await dispatcher.dispatchAfterResponse(new IndexFeed(1));
    await IndexFeed.dispatch(2).afterResponse();
    await app.terminate();
    bus.assertDispatchedAfterResponse(SendWelcomeEmail, (job) => job.email === 'bob@example.com');
    bus.assertDispatchedAfterResponse(IndexFeed, 2);
    bus.assertNotDispatchedAfterResponse(ChargeCard);
    bus.assertNotDispatchedAfterResponse(SendWelcomeEmail, (job) => job.email === 'ada@example.com');
  });

  it('fails for a job that ran now instead, and for one dispatched after the response that should not be', async () => {
    const { bus } = await scenario();
    const error = failureOf(() => bus.assertDispatchedAfterResponse(ChargeCard));
    expect(error.message).toMatch(/^Expected ChargeCard to be dispatched after the response, but it was not\.\nDispatched jobs \(3\):/);
    const count = failureOf(() => bus.assertDispatchedAfterResponse(SendWelcomeEmail, 2));
    expect(count.message).toMatch(/^Expected SendWelcomeEmail to be dispatched after the response twice, but it was dispatched after the response once\./);
    const not = failureOf(() => bus.assertNotDispatchedAfterResponse(SendWelcomeEmail));
    expect(not.message).toBe(
      [
        'Expected SendWelcomeEmail not to be dispatched after the response, but it was:',
        "  - SendWelcomeEmail { email: 'bob@example.com' } (dispatchAfterResponse)",
      ].join('\n'),
    );
  });
});

describe('assertChained', () => {
  async function chained() {
    const app = new Application({ report: () => undefined });
    const bus = fakeBus(app);
    await app
      .make(Dispatcher)
      .chain([new ChargeCard(100), new IndexFeed(7), new SendWelcomeEmail('ada@example.com')])
      .dispatch();
    return bus;
  }

  it('passes for the chain by classes, by instances, or a mix', async () => {
    const bus = await chained();
    bus.assertChained([ChargeCard, IndexFeed, SendWelcomeEmail]);
    bus.assertChained([new ChargeCard(100), IndexFeed, new SendWelcomeEmail('ada@example.com')]);
    bus.assertDispatched(ChargeCard, (_job, record) => record.chain?.jobs.length === 2);
  });

  it('fails with a diff against the closest chain when the jobs differ', async () => {
    const bus = await chained();
    const error = failureOf(() => bus.assertChained([ChargeCard, SendWelcomeEmail]));
    expect(error.message).toBe(
      [
        'Expected the chain [ChargeCard, SendWelcomeEmail] to be dispatched, but the chains dispatched were ' +
          '[ChargeCard, IndexFeed, SendWelcomeEmail].',
        'Dispatched jobs (1):',
        '  1. ChargeCard { amount: 100 } (dispatchChain, then [IndexFeed, SendWelcomeEmail])',
      ].join('\n'),
    );
    expect([error.expected, error.actual, error.operator]).toEqual([
      ['ChargeCard', 'SendWelcomeEmail'],
      ['ChargeCard', 'IndexFeed', 'SendWelcomeEmail'],
      'deepStrictEqual',
    ]);
  });

  it('fails when an instance’s fields differ, showing the fields on both sides', async () => {
    const bus = await chained();
    const error = failureOf(() => bus.assertChained([ChargeCard, new IndexFeed(8), SendWelcomeEmail]));
    expect(error.expected).toEqual(['ChargeCard', 'IndexFeed { feedId: 8 }', 'SendWelcomeEmail']);
    expect(error.actual).toEqual(['ChargeCard', 'IndexFeed { feedId: 7 }', 'SendWelcomeEmail']);
  });

  it('fails when no chain was dispatched at all, and refuses an empty chain', async () => {
    const { bus } = await scenario();
    expect(failureOf(() => bus.assertChained([ChargeCard])).message).toMatch(
      /^Expected the chain \[ChargeCard\] to be dispatched, but no chain was\./,
    );
    expect(() => bus.assertChained([])).toThrow(InvalidExpectationError);
  });
});

describe('dispatched()', () => {
  it('returns the jobs of the class, filtered by a predicate', async () => {
    const { bus } = await scenario();
    expect(bus.dispatched(SendWelcomeEmail).map((job) => job.email)).toEqual(['ada@example.com', 'bob@example.com']);
    expect(bus.dispatched(SendWelcomeEmail, (_job, record) => record.method === 'dispatchAfterResponse')).toEqual([
      new SendWelcomeEmail('bob@example.com'),
    ]);
    expect(bus.dispatched(IndexFeed)).toEqual([]);
  });
});
