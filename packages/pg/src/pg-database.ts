import { AsyncLocalStorage } from 'node:async_hooks';
import { transactionsOf, type Transactions } from '@epilogue/bus';
import { Application } from '@epilogue/core';
import type { Pool, PoolClient, QueryConfig, QueryResult, QueryResultRow } from 'pg';
import {
  ConcurrentTransactionError,
  InvalidTransactionOptionError,
  NestedTransactionOptionsError,
  TransactionEndedError,
} from './errors.js';

/** Options of the outermost `db.transaction()`. */
export interface TransactionOptions {
  /** The isolation level; PostgreSQL's default (`read committed`) when omitted. */
  isolationLevel?: 'read committed' | 'repeatable read' | 'serializable';
  /** A read-only transaction. */
  readOnly?: boolean;
}

/** Options of `new PgDatabase()`. */
export interface PgDatabaseOptions {
  /**
   * The application whose bus holds jobs and events until the commit; the current application
   * (`Application.getInstance()`) at each transaction when omitted.
   */
  app?: Application;
}

// One transaction level of one connection, in the asynchronous context of its callback.
interface Level {
  readonly client: PoolClient;
  readonly depth: number;
  /** A nested transaction of this level is running. */
  busy: boolean;
  /** The level committed or rolled back: its connection is no longer this context's. */
  ended: boolean;
}

const LEVELS = ['read committed', 'repeatable read', 'serializable'] as const;

/**
 * A node-postgres pool whose transactions the Epilogue bus knows about. `db.transaction(work)`
 * takes a connection, runs `work(client)` between `BEGIN` and `COMMIT` (`ROLLBACK` when it
 * throws), and tracks it through `AsyncLocalStorage`: anything `work` calls, however deep, is
 * inside the transaction. A `db.transaction()` inside another one is a `SAVEPOINT` on the same
 * connection, released when its callback resolves and rolled back to when it throws.
 *
 * Jobs dispatched with `afterCommit()`, jobs, listeners and events with `afterCommit = true`, and
 * every job of a connection configured with `afterCommit: true`, wait for the outermost commit;
 * a rollback drops them, and a rolled-back savepoint drops those dispatched inside it.
 *
 * @example
 * const db = new PgDatabase(new pg.Pool({ connectionString: process.env.DATABASE_URL }));
 *
 * await db.transaction(async (client) => {
 *   const { rows } = await client.query('insert into orders (total) values ($1) returning id', [total]);
 *   await ShipOrder.dispatch(rows[0].id).afterCommit(); // pushed once COMMIT succeeded
 * });
 */
export class PgDatabase {
  /** The pool connections are taken from. */
  readonly pool: Pool;

  readonly #app: Application | undefined;
  readonly #levels = new AsyncLocalStorage<Level>();

  /**
   * @param pool - A `pg.Pool`; the caller owns it (and ends it).
   * @param options - The application, when not the current one.
   */
  constructor(pool: Pool, options: PgDatabaseOptions = {}) {
    this.pool = pool;
    this.#app = options.app;
  }

  /**
   * Runs `work` in a transaction, or in a savepoint when this context is in one already.
   *
   * @param work - Receives the transaction's connection; its queries (and `db.query()` anywhere
   *   inside) are part of the transaction.
   * @param options - Isolation level and read-only mode, for the outermost transaction only.
   * @returns What `work` resolved to, once the transaction committed and the jobs held for the
   *   commit were pushed (or the savepoint was released).
   * @throws What `work` threw, after the rollback. {@link NestedTransactionOptionsError} for
   *   options on a savepoint, {@link ConcurrentTransactionError} for two savepoints at once,
   *   {@link TransactionEndedError} from work that outlived its transaction.
   */
  transaction<T>(work: (client: PoolClient) => T | Promise<T>, options: TransactionOptions = {}): Promise<T> {
    const level = this.#levels.getStore();
    if (level !== undefined) {
      if (level.ended) return Promise.reject(TransactionEndedError.create());
      return this.#savepoint(level, work, options);
    }
    let begin: string;
    try {
      begin = beginStatement(options);
    } catch (error) {
      return Promise.reject(error);
    }
    return this.#transactions().run(async () => {
      const client = await this.pool.connect();
      const outer: Level = { client, depth: 1, busy: false, ended: false };
      let broken: Error | undefined;
      try {
        await client.query(begin);
        let result: T;
        try {
          result = await this.#levels.run(outer, () => work(client));
        } catch (error) {
          broken = await quietly(client, 'ROLLBACK');
          throw error;
        }
        // A COMMIT that fails (a deferred constraint, a serialization failure) rolled back.
        await client.query('COMMIT');
        return result;
      } finally {
        outer.ended = true;
        client.release(broken);
      }
    });
  }

  /**
   * Runs a query on this context's transaction connection when there is one, else on the pool.
   *
   * @throws {TransactionEndedError} From work that outlived its transaction.
   */
  // Rows are the caller's to type, as with pg itself.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  query<R extends QueryResultRow = any>(text: string | QueryConfig, values?: unknown[]): Promise<QueryResult<R>> {
    const level = this.#levels.getStore();
    if (level === undefined) return this.pool.query<R>(text as string, values);
    if (level.ended) return Promise.reject(TransactionEndedError.create());
    return level.client.query<R>(text as string, values);
  }

  /** The connection of this context's transaction, or undefined outside any. */
  client(): PoolClient | undefined {
    const level = this.#levels.getStore();
    return level === undefined || level.ended ? undefined : level.client;
  }

  /** Whether this context is inside a `db.transaction()` of this database. */
  inTransaction(): boolean {
    return this.client() !== undefined;
  }

  /** How deep this context is: 0 outside any transaction, 1 in one, 2 in a savepoint inside it... */
  depth(): number {
    const level = this.#levels.getStore();
    return level === undefined || level.ended ? 0 : level.depth;
  }

  async #savepoint<T>(level: Level, work: (client: PoolClient) => T | Promise<T>, options: TransactionOptions): Promise<T> {
    const given = Object.keys(options).filter((key) => options[key as keyof TransactionOptions] !== undefined);
    if (given.length > 0) throw NestedTransactionOptionsError.forOptions(given);
    if (level.busy) throw ConcurrentTransactionError.create();
    level.busy = true;
    const { client } = level;
    const inner: Level = { client, depth: level.depth + 1, busy: false, ended: false };
    const name = `epilogue_savepoint_${inner.depth}`;
    try {
      return await this.#transactions().run(async () => {
        await client.query(`SAVEPOINT ${name}`);
        let result: T;
        try {
          result = await this.#levels.run(inner, () => work(client));
        } catch (error) {
          // When even this fails, the connection is broken and the outer transaction will fail too.
          await quietly(client, `ROLLBACK TO SAVEPOINT ${name}`);
          throw error;
        }
        await client.query(`RELEASE SAVEPOINT ${name}`);
        return result;
      });
    } finally {
      inner.ended = true;
      level.busy = false;
    }
  }

  #transactions(): Transactions {
    return transactionsOf(this.#app ?? Application.getInstance());
  }
}

function beginStatement(options: TransactionOptions): string {
  const { isolationLevel, readOnly } = options;
  if (isolationLevel !== undefined && !LEVELS.includes(isolationLevel)) {
    throw InvalidTransactionOptionError.forOption('isolationLevel', LEVELS.map((level) => `'${level}'`).join(', '), isolationLevel);
  }
  if (readOnly !== undefined && typeof readOnly !== 'boolean') {
    throw InvalidTransactionOptionError.forOption('readOnly', 'true or false', readOnly);
  }
  let statement = 'BEGIN';
  if (isolationLevel !== undefined) statement += ` ISOLATION LEVEL ${isolationLevel.toUpperCase()}`;
  if (readOnly !== undefined) statement += readOnly ? ' READ ONLY' : ' READ WRITE';
  return statement;
}

// Runs a statement whose failure must not hide the error being handled; returns that failure.
async function quietly(client: PoolClient, statement: string): Promise<Error | undefined> {
  try {
    await client.query(statement);
    return undefined;
  } catch (error) {
    return error instanceof Error ? error : new Error(String(error));
  }
}
