import { isDeepStrictEqual } from 'node:util';
import { chainNames, checkChain, compareChains, type ChainEntry } from '../assertions/chains.js';
import { describeValue, nameOf } from '../assertions/describe-value.js';
import { listing } from '../assertions/failure.js';
import { byClass, type AnyClass, type Expectation, type Predicate } from '../assertions/records.js';
import { RecordingFake } from '../assertions/recording-fake.js';
import { InvalidExpectationError } from '../errors.js';
import type { PushedJob } from './round-trip.js';

/** A push the fake queue refused, as the real queue would have: the job and the typed error. */
export interface FailedPush {
  /** The job that was dispatched. */
  readonly job: object;
  /** Why it could not be queued (`JobNotSerializableError`, `JobNotRegisteredError`...). */
  readonly error: unknown;
}

/**
 * The fake queue installed by `fakeQueue()`: it keeps the jobs pushed to any connection, each
 * written as a payload and read back, instead of queueing them, and asserts on them. Jobs match
 * an assertion's class when they are instances of exactly that class.
 *
 * @example
 * const queue = fakeQueue(app);
 * await SendInvoice.dispatch(42).onQueue('billing');
 * queue.assertPushedOn('billing', SendInvoice, (job) => job.invoiceId === 42);
 */
export class QueueFake extends RecordingFake<PushedJob> {
  readonly #failures: FailedPush[] = [];
  readonly #restoreJob: (job: object) => object;

  /**
   * @param restoreJob - Writes a job as a payload and reads it back, to compare expected instances.
   * @param undo - Puts the real queues back.
   */
  constructor(restoreJob: (job: object) => object, undo: () => void) {
    super(
      {
        noun: 'job',
        title: 'Pushed jobs',
        nothing: 'Nothing was pushed.',
        ...byClass((record) => record.job),
        line: describePush,
        notes: () => this.#notes(),
      },
      undo,
    );
    this.#restoreJob = restoreJob;
  }

  /** The pushes that failed, with the real typed errors (the dispatch rejected with them too). */
  get failures(): readonly FailedPush[] {
    return this.#failures;
  }

  /** Keeps a push that failed; the fake connections call it. */
  recordFailure(failure: FailedPush): void {
    this.#failures.push(failure);
  }

  /**
   * The pushed jobs of exactly `type`, as read back from their payloads, that pass `predicate`.
   *
   * @example
   * expect(queue.pushed(SendInvoice).map((job) => job.invoiceId)).toEqual([42]);
   */
  pushed<J extends object>(type: AnyClass<J>, predicate?: Predicate<J, PushedJob<J>>): J[] {
    return this.recorded.subjects(this.caller(this.pushed), type, predicate as Predicate<J, PushedJob>);
  }

  /**
   * Asserts that a job of `type` was pushed (to any connection and queue); with a predicate,
   * that one passes it (it receives the job read back, and the push: connection, queue, delay,
   * chain); with a number, that exactly that many were.
   *
   * @throws {AssertionError} Listing what was pushed, and the pushes that failed.
   */
  assertPushed<J extends object>(type: AnyClass<J>, expectation?: Expectation<J, PushedJob<J>>): void {
    const caller = this.caller(this.assertPushed);
    this.recorded.assertSome(caller, type, expectation as Expectation<J, PushedJob>, 'pushed');
  }

  /** Asserts that exactly `count` jobs of `type` were pushed. */
  assertPushedTimes(type: AnyClass, count: number): void {
    this.recorded.assertCount(this.caller(this.assertPushedTimes), type, count, 'pushed');
  }

  /**
   * Asserts that a job of `type` (passing `predicate`, when given) was pushed on the queue named `queue`.
   *
   * @throws {InvalidExpectationError} When `queue` is not a queue name.
   */
  assertPushedOn<J extends object>(queue: string, type: AnyClass<J>, predicate?: Predicate<J, PushedJob<J>>): void {
    const caller = this.caller(this.assertPushedOn);
    if (typeof queue !== 'string' || queue === '') {
      const what = "a queue name as its first argument, such as 'emails'";
      throw InvalidExpectationError.forArgument(caller.name, what, queue);
    }
    const on = (record: PushedJob) => record.queue === queue;
    this.recorded.assertSome(caller, type, predicate as Predicate<J, PushedJob>, `pushed on the "${queue}" queue`, on);
  }

  /** Asserts that no job of `type` (passing `predicate`, when given) was pushed. */
  assertNotPushed<J extends object>(type: AnyClass<J>, predicate?: Predicate<J, PushedJob<J>>): void {
    this.recorded.assertNone(this.caller(this.assertNotPushed), type, predicate as Predicate<J, PushedJob>, 'pushed');
  }

  /** Asserts that nothing was pushed. */
  assertNothingPushed(): void {
    this.recorded.assertEmpty(this.caller(this.assertNothingPushed), 'pushed');
  }

  /**
   * Asserts that a job of `type` (passing `predicate`, when given) was pushed as the first job
   * of a chain whose other jobs are `chain`, in order: each a class (any job of it) or a job
   * instance (a job whose payload carries the same data).
   *
   * @example
   * queue.assertPushedWithChain(ImportFeed, [IndexFeed, new NotifyImported(7)]);
   */
  assertPushedWithChain<J extends object>(
    type: AnyClass<J>,
    chain: readonly ChainEntry[],
    predicate?: Predicate<J, PushedJob<J>>,
  ): void {
    const caller = this.caller(this.assertPushedWithChain);
    checkChain(caller, chain, true);
    const pushed = this.recorded.matching(caller, type, predicate as Predicate<J, PushedJob>);
    const chains = pushed.map((record) => record.chain?.jobs ?? []);
    const same = (job: object, expected: object) => isDeepStrictEqual(job, this.#restoreJob(expected));
    const mismatch = compareChains(chains, chain, same);
    if (mismatch === undefined) return;
    const matching = predicate === undefined ? '' : ' matching the predicate';
    const what = `${nameOf(type)} to be pushed${matching} with the chain [${mismatch.expected.join(', ')}]`;
    const found = pushed.length === 0 ? 'it was not pushed' : `it was pushed with ${chains.map(chainNames).join(', ')}`;
    this.recorded.fail(caller, [`Expected ${what}, but ${found}.`], { ...mismatch, operator: 'deepStrictEqual' });
  }

  /** Asserts that a job of `type` (passing `predicate`, when given) was pushed, and not as the start of a chain. */
  assertPushedWithoutChain<J extends object>(type: AnyClass<J>, predicate?: Predicate<J, PushedJob<J>>): void {
    const caller = this.caller(this.assertPushedWithoutChain);
    const alone = (record: PushedJob) => record.chain === undefined || record.chain.jobs.length === 0;
    this.recorded.assertSome(caller, type, predicate as Predicate<J, PushedJob>, 'pushed without a chain', alone);
  }

  #notes(): { lines: readonly string[]; cause?: unknown } {
    if (this.#failures.length === 0) return { lines: [] };
    const lines = this.#failures.map(({ job, error }) => `${nameOf(job.constructor)}: ${describeError(error)}`);
    const failed = listing('Pushes that failed, as they would on a real queue', lines, '');
    return { lines: [failed], cause: this.#failures[0].error };
  }
}

function describePush(record: PushedJob): string {
  const delay = record.delay > 0 ? `, delay ${record.delay} s` : '';
  const rest = record.chain?.jobs ?? [];
  const chain = rest.length === 0 ? '' : `, then ${chainNames(rest)}`;
  return `${describeValue(record.job)} (${record.connection} connection, "${record.queue}" queue${delay}${chain})`;
}

function describeError(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const code = (error as { code?: unknown }).code;
  return `${error.name}${typeof code === 'string' ? ` [${code}]` : ''}: ${error.message}`;
}
