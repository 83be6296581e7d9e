import { InvalidExpectationError } from '../errors.js';
import { callSite, describePredicate, nameOf, times } from './describe-value.js';
import { assertionFailure, listing } from './failure.js';

/** A class, abstract or not, whatever its constructor takes: what assertions match records by. */
export type AnyClass<T extends object = object> = abstract new (...args: never[]) => T;

/** A test of a recorded job or event; it receives the record too (method, queue, chain...). */
export type Predicate<S, R> = (subject: S, record: R) => unknown;

/** What the positive assertions take after the class: a predicate, or how many times. */
export type Expectation<S, R> = Predicate<S, R> | number;

/** How a fake's records are matched and read in failure messages. */
export interface RecordKind<R, K> {
  /** What a record holds: `job`, `event`. */
  readonly noun: string;
  /** The title of the list of every record: `Dispatched jobs`. */
  readonly title: string;
  /** What the list says when there is none: `Nothing was dispatched.` */
  readonly nothing: string;
  /** The job or event a record holds: what predicates receive. */
  subject(record: R): unknown;
  /** Whether a record is of what an assertion names (a class, an event name...). */
  matches(record: R, key: K): boolean;
  /** How what an assertion names reads in messages. */
  keyName(key: K): string;
  /**
   * Checks what an assertion was given to name records by.
   *
   * @throws {InvalidExpectationError} When it cannot name any.
   */
  checkKey(caller: Caller, key: unknown): void;
  /** One line that shows a record. */
  line(record: R): string;
  /** Lines every failure message ends with (failed pushes...), and the error they explain. */
  notes?(): { lines: readonly string[]; cause?: unknown };
}

/** The public assertion being checked: its name (for misuse errors) and function (the stack starts at its caller). */
export interface Caller {
  readonly name: string;
  readonly fn: (...args: never[]) => unknown;
}

/**
 * How records of jobs are matched: by the exact class of the job a record holds (a subclass is
 * another job).
 *
 * @param subject - The job (or event object) a record holds.
 */
export function byClass<R>(
  subject: (record: R) => object,
): Pick<RecordKind<R, AnyClass>, 'subject' | 'matches' | 'keyName' | 'checkKey'> {
  return {
    subject,
    matches: (record, type) => subject(record).constructor === type,
    keyName: nameOf,
    checkKey: checkType,
  };
}

/** The records of one fake and the assertions over them. */
export class Records<R, K = AnyClass> {
  readonly #kind: RecordKind<R, K>;
  readonly #list: R[] = [];

  /** @param kind - How records are matched and read in failure messages. */
  constructor(kind: RecordKind<R, K>) {
    this.#kind = kind;
  }

  /** Adds a record. */
  add(record: R): void {
    this.#list.push(record);
  }

  /** Every record, in order. */
  get all(): readonly R[] {
    return this.#list;
  }

  /**
   * The records of `key` that pass `among` and `predicate`.
   *
   * @throws {InvalidExpectationError} When `key` names nothing or `predicate` is not a function.
   */
  matching<S>(caller: Caller, key: K, predicate?: Predicate<S, R>, among?: (record: R) => boolean): R[] {
    this.#kind.checkKey(caller, key);
    if (predicate !== undefined && typeof predicate !== 'function') {
      throw InvalidExpectationError.forArgument(caller.name, 'a predicate function as its second argument', predicate);
    }
    return this.#list.filter((record) => {
      if (!this.#kind.matches(record, key) || (among !== undefined && !among(record))) return false;
      return predicate === undefined || Boolean(predicate(this.#kind.subject(record) as S, record));
    });
  }

  /**
   * What the records of `key` that pass `predicate` hold (their jobs or events), in order.
   *
   * @throws {InvalidExpectationError} When `key` names nothing or `predicate` is not a function.
   */
  subjects<S>(caller: Caller, key: K, predicate?: Predicate<S, R>): S[] {
    return this.matching(caller, key, predicate).map((record) => this.#kind.subject(record) as S);
  }

  /**
   * Fails unless a record of `key` (among those `among` keeps) passes `expectation`, or, for a
   * number, unless exactly that many records of it were made.
   *
   * @param phrase - What happened to it, for the message: `dispatched after the response`.
   */
  assertSome<S>(
    caller: Caller,
    key: K,
    expectation: Expectation<S, R> | undefined,
    phrase: string,
    among?: (record: R) => boolean,
  ): void {
    if (typeof expectation === 'number') return this.assertCount(caller, key, expectation, phrase, among);
    const candidates = this.matching(caller, key, undefined, among);
    const predicate = expectation;
    if (predicate === undefined ? candidates.length > 0 : this.matching(caller, key, predicate, among).length > 0) {
      return;
    }
    const name = this.#kind.keyName(key);
    const headline =
      predicate === undefined
        ? `Expected ${name} to be ${phrase}, but it was not.`
        : `Expected ${name} to be ${phrase} matching the predicate, but ${this.#noMatch(name, phrase, candidates)}.`;
    this.#fail(caller, [headline, ...predicateLines(caller, predicate), this.#everything()]);
  }

  /**
   * Fails unless exactly `count` records of `key` (among those `among` keeps) were made.
   *
   * @throws {InvalidExpectationError} When `count` is not a whole number ≥ 0.
   */
  assertCount(caller: Caller, key: K, count: number, phrase: string, among?: (record: R) => boolean): void {
    if (!Number.isSafeInteger(count) || count < 0) {
      throw InvalidExpectationError.forArgument(caller.name, 'a count that is a whole number ≥ 0', count);
    }
    const actual = this.matching(caller, key, undefined, among).length;
    if (actual === count) return;
    const found = actual === 0 ? `it was not ${phrase}` : `it was ${phrase} ${times(actual)}`;
    const headline = `Expected ${this.#kind.keyName(key)} to be ${phrase} ${times(count)}, but ${found}.`;
    this.#fail(caller, [headline, this.#everything()], { actual, expected: count, operator: 'strictEqual' });
  }

  /** Fails when a record of `key` (among those `among` keeps) passes `predicate` (or any, without one). */
  assertNone<S>(
    caller: Caller,
    key: K,
    predicate: Predicate<S, R> | undefined,
    phrase: string,
    among?: (record: R) => boolean,
  ): void {
    const matched = this.matching(caller, key, predicate, among);
    if (matched.length === 0) return;
    const matching = predicate === undefined ? '' : ' matching the predicate';
    const what = `${this.#kind.keyName(key)} not to be ${phrase}${matching}`;
    const found = matched.length === 1 ? 'it was' : `it was, ${times(matched.length)}`;
    const lines = [`Expected ${what}, but ${found}:`, ...matched.map((record) => `  - ${this.#kind.line(record)}`)];
    this.#fail(caller, [...lines, ...predicateLines(caller, predicate)]);
  }

  /** Fails when any record (among those `among` keeps) was made. */
  assertEmpty(caller: Caller, phrase: string, among?: (record: R) => boolean): void {
    const made = among === undefined ? this.#list : this.#list.filter(among);
    if (made.length === 0) return;
    const count = made.length === 1 ? `one ${this.#kind.noun} was` : `${made.length} ${this.#kind.noun}s were`;
    const lines = made.map((record) => `  - ${this.#kind.line(record)}`);
    this.#fail(caller, [`Expected nothing to be ${phrase}, but ${count}:`, ...lines]);
  }

  /**
   * Fails with a message that ends with the list of every record (and the kind's notes).
   *
   * @param comparison - For a comparison runners can diff: actual, expected and operator.
   */
  fail(
    caller: Caller,
    headline: readonly string[],
    comparison?: { actual: unknown; expected: unknown; operator: 'strictEqual' | 'deepStrictEqual' },
  ): never {
    this.#fail(caller, [...headline, this.#everything()], comparison);
  }

  // Why a predicate found nothing: nothing of the kind happened, or what happened did not match.
  #noMatch(name: string, phrase: string, { length: candidates }: readonly R[]): string {
    if (candidates === 0) return `no ${name} was ${phrase}`;
    if (candidates === 1) return `the ${name} ${phrase} did not match`;
    return `none of the ${candidates} ${name} ${this.#kind.noun}s ${phrase} matched`;
  }

  #everything(): string {
    return listing(this.#kind.title, this.#list.map((record) => this.#kind.line(record)), this.#kind.nothing);
  }

  #fail(
    caller: Caller,
    lines: readonly string[],
    comparison?: { actual: unknown; expected: unknown; operator: 'strictEqual' | 'deepStrictEqual' },
  ): never {
    const notes = this.#kind.notes?.();
    const message = [...lines, ...(notes?.lines ?? [])].join('\n');
    throw assertionFailure({ message, stackStartFn: caller.fn, cause: notes?.cause, ...comparison });
  }
}

/**
 * Checks that an assertion was given a class.
 *
 * @throws {InvalidExpectationError} When `type` is not a function.
 */
export function checkType(caller: Caller, type: unknown): void {
  if (typeof type !== 'function') {
    const what = 'a class as its first argument, such as SendWelcomeEmail';
    throw InvalidExpectationError.forArgument(caller.name, what, type);
  }
}

/** The lines a failure shows of a predicate: its source, and where the assertion was called. */
export function predicateLines(caller: Caller, predicate: ((...args: never[]) => unknown) | undefined): string[] {
  if (predicate === undefined) return [];
  const site = callSite(caller.fn);
  const lines = [`  predicate: ${describePredicate(predicate)}`];
  if (site === undefined) return lines;
  lines.push(`  asserted at ${site.location}${site.source === undefined ? '' : ':'}`);
  if (site.source !== undefined) lines.push(`    ${site.source}`);
  return lines;
}
