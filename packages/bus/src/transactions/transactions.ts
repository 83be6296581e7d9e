import { AsyncLocalStorage } from 'node:async_hooks';
import { bindPerApplication, type Application } from '@epilogue/core';

/** Work to run once the outermost transaction committed: the push of a held job, say. */
export type AfterCommitCallback = () => unknown;

/**
 * The transaction contract of the bus: what it asks of the database layer to hold a dispatch
 * until the data it depends on is committed. `Transactions` implements it for any library whose
 * transactions run in a callback; implement it yourself to bring transactions tracked elsewhere,
 * and install it with `useTransactionManager()`.
 */
export interface TransactionManager {
  /** Whether a transaction is open in the current asynchronous context. */
  inTransaction(): boolean;
  /**
   * Holds `callback` until the outermost transaction of the current context commits, and drops
   * it when the transaction it was added in rolls back (a savepoint included).
   *
   * @returns False when no transaction is open: the callback was not taken, the caller runs it.
   */
  afterCommit(callback: AfterCommitCallback): boolean;
}

/** Options of `new Transactions()`. */
export interface TransactionsOptions {
  /** Receives what an after-commit callback threw; the other callbacks run all the same. */
  report?: (error: unknown) => void;
}

type State = 'open' | 'released' | 'committed' | 'rolled-back';

// One transaction level: the outermost transaction, or a savepoint inside it.
class TransactionRecord {
  state: State = 'open';
  callbacks: AfterCommitCallback[] = [];
  constructor(readonly parent: TransactionRecord | undefined) {}
}

/**
 * Tracks the transactions of an application through `AsyncLocalStorage`, so that a dispatch
 * knows whether it happens inside one, and holds after-commit work as Laravel does: callbacks
 * wait for the outermost commit; those of a savepoint that rolls back are dropped (with those of
 * the savepoints inside it), those of a savepoint that is released move to the transaction
 * around it. The application's instance is `transactionsOf(app)`.
 *
 * Wrap each transaction of your database library in `run()`, so that `run()` resolves once it
 * committed (or its savepoint was released) and rejects once it rolled back:
 *
 * @example
 * // Kysely: nested calls would be savepoints (trx.savepoint()), each wrapped in run() too.
 * const transactions = transactionsOf(app);
 * await transactions.run(() =>
 *   db.transaction().execute(async (trx) => {
 *     await trx.insertInto('orders').values(order).execute();
 *     await ShipOrder.dispatch(order.id).afterCommit(); // pushed once the COMMIT succeeded
 *   }),
 * );
 */
export class Transactions implements TransactionManager {
  readonly #storage = new AsyncLocalStorage<TransactionRecord>();
  readonly #report: (error: unknown) => void;

  /** @param options - Where the errors of after-commit callbacks go. */
  constructor(options: TransactionsOptions = {}) {
    this.#report =
      options.report ??
      ((error) => {
        throw error;
      });
  }

  /**
   * Runs `work` as one transaction level of the current context: the outermost transaction, or
   * a savepoint when one is open already. `work` itself begins and ends the transaction in the
   * database; its outcome decides what happens to the callbacks added inside it.
   *
   * - `work` resolves, outermost: the transaction committed; the callbacks run, in the order they
   *   were added, before `run()` resolves (a callback that throws is reported, the others run).
   * - `work` resolves, nested: the savepoint was released; its callbacks join the level around it.
   * - `work` rejects: the level rolled back; its callbacks are dropped and `run()` rejects with
   *   the same error.
   *
   * @returns What `work` resolved to.
   */
  async run<T>(work: () => T | Promise<T>): Promise<T> {
    const record = new TransactionRecord(this.#open());
    let result: T;
    try {
      result = await this.#storage.run(record, work);
    } catch (error) {
      record.state = 'rolled-back';
      record.callbacks = [];
      throw error;
    }
    const callbacks = record.callbacks;
    record.callbacks = [];
    const parent = record.parent === undefined ? undefined : this.#openFrom(record.parent);
    if (parent instanceof TransactionRecord) {
      record.state = 'released';
      parent.callbacks.push(...callbacks);
    } else {
      record.state = 'committed';
      if (parent !== DROPPED) await this.#flush(callbacks);
    }
    return result;
  }

  inTransaction(): boolean {
    return this.#open() !== undefined;
  }

  /** How many transaction levels are open in the current context: 0 outside any, 2 in a savepoint. */
  depth(): number {
    let depth = 0;
    for (let record = this.#open(); record !== undefined; record = record.parent) depth++;
    return depth;
  }

  afterCommit(callback: AfterCommitCallback): boolean {
    const current = this.#storage.getStore();
    if (current === undefined) return false;
    const target = this.#openFrom(current);
    if (target === undefined) return false;
    // Added from work that outlived a rolled-back level: it belongs to that level, so it is dropped.
    if (target !== DROPPED) target.callbacks.push(callback);
    return true;
  }

  #open(): TransactionRecord | undefined {
    const current = this.#storage.getStore();
    if (current === undefined) return undefined;
    const open = this.#openFrom(current);
    return open instanceof TransactionRecord ? open : undefined;
  }

  // The open level that callbacks added in `record`'s context belong to: `record` itself, or the
  // level a released savepoint moved into; DROPPED under a rolled-back level, undefined once the
  // outermost one committed.
  #openFrom(record: TransactionRecord): TransactionRecord | typeof DROPPED | undefined {
    for (let level: TransactionRecord | undefined = record; level !== undefined; level = level.parent) {
      if (level.state === 'open') return level;
      if (level.state === 'rolled-back') return DROPPED;
      if (level.state === 'committed') return undefined;
    }
    return undefined;
  }

  async #flush(callbacks: readonly AfterCommitCallback[]): Promise<void> {
    for (const callback of callbacks) {
      try {
        await callback();
      } catch (error) {
        this.#report(error);
      }
    }
  }
}

const DROPPED = Symbol('dropped');

const applicationTransactions = bindPerApplication(
  Transactions,
  (app) => new Transactions({ report: (error) => app.report(error, { phase: 'after-commit' }) }),
);

const managers = new WeakMap<Application, TransactionManager>();

/**
 * The application's `Transactions`: the tracker that database integrations (`@epilogue/pg`)
 * run their transactions through, and that the bus asks unless `useTransactionManager()` set
 * another manager.
 */
export function transactionsOf(app: Application): Transactions {
  return applicationTransactions(app);
}

/**
 * Makes the bus and the events of `app` ask `manager` whether a transaction is open, and hold
 * after-commit work with it, instead of the application's `Transactions`.
 *
 * @param manager - The manager; `undefined` goes back to the application's `Transactions`.
 */
export function useTransactionManager(app: Application, manager: TransactionManager | undefined): void {
  if (manager === undefined) managers.delete(app);
  else managers.set(app, manager);
}

/** The transaction manager the bus of `app` uses (see `useTransactionManager()`). */
export function transactionManagerOf(app: Application): TransactionManager {
  return managers.get(app) ?? applicationTransactions(app);
}
