/**
 * PostgreSQL transactions for Epilogue, on node-postgres (`pg`): `db.transaction()` is tracked
 * through `AsyncLocalStorage`, nested calls are savepoints, and the bus holds jobs and events
 * marked `afterCommit` until the outermost commit (dropping them on rollback).
 *
 * @module
 * @example
 * import pg from 'pg';
 * import { PgDatabase } from '@epilogue/pg';
 *
 * const db = new PgDatabase(new pg.Pool({ connectionString: process.env.DATABASE_URL }));
 * await db.transaction(async (client) => {
 *   await client.query('insert into orders (id) values ($1)', [id]);
 *   await ShipOrder.dispatch(id).afterCommit();
 * });
 */
export {
  ConcurrentTransactionError,
  InvalidTransactionOptionError,
  NestedTransactionOptionsError,
  TransactionEndedError,
} from './errors.js';
export { PgDatabase } from './pg-database.js';
export type { PgDatabaseOptions, TransactionOptions } from './pg-database.js';
