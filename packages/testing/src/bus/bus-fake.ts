import type { ChainCatch, ChainPlacement } from '@epilogue/bus';
import { isDeepStrictEqual } from 'node:util';
import { chainNames, checkChain, compareChains, type ChainEntry } from '../assertions/chains.js';
import { describeValue } from '../assertions/describe-value.js';
import { assertionFailure, listing } from '../assertions/failure.js';
import {
  byClass,
  predicateLines,
  type AnyClass,
  type Caller,
  type Expectation,
  type Predicate,
  type RecordKind,
} from '../assertions/records.js';
import { RecordingFake } from '../assertions/recording-fake.js';
import { InvalidExpectationError } from '../errors.js';
import { describeBatch, FakeBatches, type PendingBatchRecord } from './fake-batches.js';

/** The `Dispatcher` method a recorded job was handed to. */
export type DispatchMethod =
  | 'dispatch'
  | 'dispatchNow'
  | 'dispatchSync'
  | 'dispatchAfterResponse'
  | 'dispatchToQueue'
  | 'dispatchChain';

/** The rest of a chain, recorded with its first job, with its connection, queue and delay when set. */
export interface ChainRecord extends ChainPlacement {
  /** The jobs after the first one, in order. */
  readonly jobs: readonly object[];
  /** The chain's catch handlers. */
  readonly catch: readonly ChainCatch[];
}

/** A job the fake bus received instead of running it. */
export interface DispatchedJob<J extends object = object> {
  /** The job, as it was dispatched (the same instance). */
  readonly job: J;
  /** How it was dispatched: `Job.dispatch()` is `dispatch`, `Job.dispatchSync()` is `dispatchSync`... */
  readonly method: DispatchMethod;
  /** When it is the first job of a chain: the rest of the chain. */
  readonly chain?: ChainRecord;
}

const DISPATCHED_JOBS: RecordKind<DispatchedJob, AnyClass> = {
  noun: 'job',
  title: 'Dispatched jobs',
  nothing: 'Nothing was dispatched.',
  ...byClass((record) => record.job),
  line: describeRecord,
};
const AFTER_RESPONSE = (record: DispatchedJob) => record.method === 'dispatchAfterResponse';
const SYNC = (record: DispatchedJob) => record.method === 'dispatchSync';

/**
 * The fake `Dispatcher` installed by `fakeBus()`: it records the jobs it fakes instead of
 * running them, and asserts on what it recorded. Jobs match an assertion's class when they are
 * instances of exactly that class.
 *
 * @example
 * const bus = fakeBus(app);
 * await registerUser('ada@example.com');
 * bus.assertDispatchedAfterResponse(SendWelcomeEmail, (job) => job.email === 'ada@example.com');
 */
export class BusFake extends RecordingFake<DispatchedJob> {
  /** The batches the fake received, and the fake `Batch` each dispatch resolved to. */
  readonly batches = new FakeBatches();

  /** @param undo - Puts the real dispatcher back. */
  constructor(undo: () => void) {
    super(DISPATCHED_JOBS, undo);
  }

  /**
   * The batches dispatched (`bus.batch([...]).dispatch()`), in order, that pass `predicate` when
   * given. A batch's jobs are not among the dispatched jobs: assert on them here.
   *
   * @example
   * expect(bus.batched()[0]?.jobs).toHaveLength(3);
   */
  batched(predicate?: (batch: PendingBatchRecord) => unknown): PendingBatchRecord[] {
    const all = this.batches.recorded;
    if (predicate === undefined) return all;
    this.#checkBatchPredicate(this.batched, predicate);
    return all.filter((batch) => Boolean(predicate(batch)));
  }

  /**
   * Asserts that a batch passing `predicate` was dispatched. The predicate receives the pending
   * batch: its `jobs` (a chain as a list), `name` and `options` (connection, queue, callbacks...).
   *
   * @throws {AssertionError} Listing the batches that were dispatched.
   * @throws {InvalidExpectationError} When `predicate` is not a function.
   * @example
   * bus.assertBatched((batch) => batch.name === 'import 42' && batch.jobs.length === 2);
   */
  assertBatched(predicate: (batch: PendingBatchRecord) => unknown): void {
    const caller = this.caller(this.assertBatched);
    this.#checkBatchPredicate(this.assertBatched, predicate);
    const all = this.batches.recorded;
    if (all.some((batch) => Boolean(predicate(batch)))) return;
    const found = all.length === 0 ? 'no batch was' : `none of the ${all.length} batches dispatched matched`;
    this.#failBatches(caller.fn, [
      `Expected a batch matching the predicate to be dispatched, but ${found}.`,
      ...predicateLines(caller, predicate),
    ]);
  }

  /**
   * Asserts that exactly `count` batches were dispatched.
   *
   * @throws {AssertionError} Listing the batches that were dispatched.
   * @throws {InvalidExpectationError} When `count` is not a whole number ≥ 0.
   */
  assertBatchCount(count: number): void {
    if (!Number.isSafeInteger(count) || count < 0) {
      throw InvalidExpectationError.forArgument('assertBatchCount', 'a count that is a whole number ≥ 0', count);
    }
    const actual = this.batches.recorded.length;
    if (actual === count) return;
    const headline = `Expected ${batches(count)} to be dispatched, but ${actual === 0 ? 'none was' : `${batches(actual)} ${actual === 1 ? 'was' : 'were'}`}.`;
    this.#failBatches(this.assertBatchCount, [headline], { actual, expected: count });
  }

  /**
   * Asserts that no batch was dispatched.
   *
   * @throws {AssertionError} Listing the batches that were.
   */
  assertNothingBatched(): void {
    const all = this.batches.recorded;
    if (all.length === 0) return;
    const lines = all.map((batch) => `  - ${describeBatch(batch)}`);
    const message = [`Expected no batch to be dispatched, but ${batches(all.length)} ${all.length === 1 ? 'was' : 'were'}:`, ...lines];
    throw assertionFailure({ message: message.join('\n'), stackStartFn: this.assertNothingBatched });
  }

  /**
   * The recorded jobs of exactly `type`, in order, that pass `predicate` when given.
   *
   * @example
   * expect(bus.dispatched(SendWelcomeEmail).map((job) => job.email)).toEqual(['ada@example.com']);
   */
  dispatched<J extends object>(type: AnyClass<J>, predicate?: Predicate<J, DispatchedJob<J>>): J[] {
    return this.recorded.subjects(this.caller(this.dispatched), type, predicate as Predicate<J, DispatchedJob>);
  }

  /**
   * Asserts that a job of `type` was dispatched, any way (`dispatch`, `dispatchNow`,
   * `dispatchSync`, `dispatchAfterResponse`, to a queue, or first in a chain); with a predicate,
   * that one passes it; with a number, that exactly that many were.
   *
   * @throws {AssertionError} Listing what was dispatched.
   */
  assertDispatched<J extends object>(type: AnyClass<J>, expectation?: Expectation<J, DispatchedJob<J>>): void {
    this.#assertSome(this.assertDispatched, type, expectation, 'dispatched');
  }

  /** Asserts that exactly `count` jobs of `type` were dispatched, any way. */
  assertDispatchedTimes(type: AnyClass, count: number): void {
    this.recorded.assertCount(this.caller(this.assertDispatchedTimes), type, count, 'dispatched');
  }

  /** Asserts that no job of `type` (passing `predicate`, when given) was dispatched, any way. */
  assertNotDispatched<J extends object>(type: AnyClass<J>, predicate?: Predicate<J, DispatchedJob<J>>): void {
    this.#assertNone(this.assertNotDispatched, type, predicate, 'dispatched');
  }

  /** Asserts that no job was dispatched at all. */
  assertNothingDispatched(): void {
    this.recorded.assertEmpty(this.caller(this.assertNothingDispatched), 'dispatched');
  }

  /** Like `assertDispatched`, for jobs dispatched with `dispatchSync` (and `Job.dispatchSync()`). */
  assertDispatchedSync<J extends object>(type: AnyClass<J>, expectation?: Expectation<J, DispatchedJob<J>>): void {
    this.#assertSome(this.assertDispatchedSync, type, expectation, 'dispatched with dispatchSync', SYNC);
  }

  /** Asserts that no job of `type` (passing `predicate`, when given) was dispatched with `dispatchSync`. */
  assertNotDispatchedSync<J extends object>(type: AnyClass<J>, predicate?: Predicate<J, DispatchedJob<J>>): void {
    this.#assertNone(this.assertNotDispatchedSync, type, predicate, 'dispatched with dispatchSync', SYNC);
  }

  /**
   * Like `assertDispatched`, for jobs dispatched after the response: `dispatchAfterResponse`,
   * `Job.dispatchAfterResponse()`, `Job.dispatch().afterResponse()`.
   */
  assertDispatchedAfterResponse<J extends object>(
    type: AnyClass<J>,
    expectation?: Expectation<J, DispatchedJob<J>>,
  ): void {
    const fn = this.assertDispatchedAfterResponse;
    this.#assertSome(fn, type, expectation, 'dispatched after the response', AFTER_RESPONSE);
  }

  /** Asserts that no job of `type` (passing `predicate`, when given) was dispatched after the response. */
  assertNotDispatchedAfterResponse<J extends object>(
    type: AnyClass<J>,
    predicate?: Predicate<J, DispatchedJob<J>>,
  ): void {
    const fn = this.assertNotDispatchedAfterResponse;
    this.#assertNone(fn, type, predicate, 'dispatched after the response', AFTER_RESPONSE);
  }

  /**
   * Asserts that a chain of these jobs was dispatched: the first entry is the chain's first job,
   * the others the rest of it, in order. An entry is a class (any job of it) or a job instance
   * (a job of its class with deeply equal fields).
   *
   * @example
   * bus.assertChained([ImportFeed, IndexFeed, new NotifyImported(feedId)]);
   */
  assertChained(chain: readonly ChainEntry[]): void {
    const caller = this.caller(this.assertChained);
    checkChain(caller, chain);
    const chains = this.recorded.all.filter((record) => record.chain !== undefined).map(chainOf);
    const mismatch = compareChains(chains, chain, isDeepStrictEqual);
    if (mismatch === undefined) return;
    const found =
      chains.length === 0 ? 'no chain was' : `the chains dispatched were ${chains.map(chainNames).join(', ')}`;
    const headline = `Expected the chain [${mismatch.expected.join(', ')}] to be dispatched, but ${found}.`;
    this.recorded.fail(caller, [headline], { ...mismatch, operator: 'deepStrictEqual' });
  }

  #checkBatchPredicate(fn: Caller['fn'], predicate: unknown): void {
    if (typeof predicate !== 'function') {
      throw InvalidExpectationError.forArgument(fn.name, 'a predicate function that receives the pending batch', predicate);
    }
  }

  #failBatches(fn: Caller['fn'], headline: readonly string[], comparison?: { actual: number; expected: number }): never {
    const lines = this.batches.recorded.map(describeBatch);
    const message = [...headline, listing('Dispatched batches', lines, 'No batch was dispatched.')].join('\n');
    throw assertionFailure({
      message,
      stackStartFn: fn,
      ...(comparison && { ...comparison, operator: 'strictEqual' as const }),
    });
  }

  #assertSome<J extends object>(
    fn: Caller['fn'],
    type: AnyClass<J>,
    expectation: Expectation<J, DispatchedJob<J>> | undefined,
    phrase: string,
    among?: (record: DispatchedJob) => boolean,
  ): void {
    this.recorded.assertSome(this.caller(fn), type, expectation as Expectation<J, DispatchedJob>, phrase, among);
  }

  #assertNone<J extends object>(
    fn: Caller['fn'],
    type: AnyClass<J>,
    predicate: Predicate<J, DispatchedJob<J>> | undefined,
    phrase: string,
    among?: (record: DispatchedJob) => boolean,
  ): void {
    this.recorded.assertNone(this.caller(fn), type, predicate as Predicate<J, DispatchedJob>, phrase, among);
  }
}

function batches(count: number): string {
  return count === 1 ? 'one batch' : `${count} batches`;
}

function describeRecord(record: DispatchedJob): string {
  const chain = record.chain === undefined ? '' : `, then ${chainNames(record.chain.jobs)}`;
  return `${describeValue(record.job)} (${record.method}${chain})`;
}

function chainOf(record: DispatchedJob): readonly object[] {
  return [record.job, ...(record.chain?.jobs ?? [])];
}
