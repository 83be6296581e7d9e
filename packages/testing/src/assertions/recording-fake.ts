import { untrack, type Restorable } from '../support/fakes.js';
import { Records, type AnyClass, type Caller, type RecordKind } from './records.js';

/**
 * What `BusFake`, `QueueFake` and `EventFake` share: the records of what they received instead
 * of the real service, in order, the assertions over them, and `restore()`.
 *
 * @typeParam R - A record: a dispatched job, a pushed job, a dispatched event.
 * @typeParam K - What an assertion names records by: a class, or an event class or name.
 */
export abstract class RecordingFake<R, K = AnyClass> implements Restorable {
  /** The records, and the assertions over them that the public ones call. */
  protected readonly recorded: Records<R, K>;
  #undo: (() => void) | undefined;

  /**
   * @param kind - How records are matched and read in failure messages.
   * @param undo - Puts the real service back.
   */
  protected constructor(kind: RecordKind<R, K>, undo: () => void) {
    this.recorded = new Records(kind);
    this.#undo = undo;
  }

  /** Every record, in the order received. */
  get records(): readonly R[] {
    return this.recorded.all;
  }

  /** Keeps a record; the methods that the fake put in place of the real ones call it. */
  record(record: R): void {
    this.recorded.add(record);
  }

  /** Puts the real service back; the records stay readable. Calling it again does nothing. */
  restore(): void {
    const undo = this.#undo;
    this.#undo = undefined;
    untrack(this);
    undo?.();
  }

  /** A public assertion, as failures and misuse errors name it: the stack starts at its caller. */
  protected caller(fn: Caller['fn']): Caller {
    return { name: fn.name, fn };
  }
}
