import { randomUUID } from 'node:crypto';
import pg from 'pg';

/** The PostgreSQL the tests use: the local one (trust auth), database `test`, never anything else. */
export const POSTGRES = { host: '127.0.0.1', port: 5432, database: 'test', user: 'postgres' } as const;

/** A schema name no other test run uses: `epilogue_test_<name>_<pid>_<random>`. */
export function uniqueSchema(name: string): string {
  return `epilogue_test_${name}_${process.pid}_${randomUUID().slice(0, 8)}`.replace(/[^a-z0-9_]/gi, '_').toLowerCase();
}

/**
 * A pool on the test database whose connections work in `schema` (created here): tables the
 * test creates there are its own. `dropSchema()` removes it.
 */
export async function poolInSchema(schema: string, options: pg.PoolConfig = {}): Promise<pg.Pool> {
  const admin = new pg.Client(POSTGRES);
  await admin.connect();
  try {
    await admin.query(`create schema if not exists ${schema}`);
  } finally {
    await admin.end();
  }
  return new pg.Pool({ ...POSTGRES, max: 4, ...options, options: `-c search_path=${schema}` });
}

/** Drops a schema made by `poolInSchema()`, with everything in it. */
export async function dropSchema(schema: string): Promise<void> {
  const admin = new pg.Client(POSTGRES);
  await admin.connect();
  try {
    await admin.query(`drop schema if exists ${schema} cascade`);
  } finally {
    await admin.end();
  }
}

/**
 * `describe` for tests that need the local PostgreSQL. When it does not answer, they fail with a
 * message that says how to start it; they are skipped (with a warning) only outside CI, so that
 * `npm test` works on a machine without PostgreSQL while CI (CI=true) can never pass without it.
 */
export const describeWithPostgres: jest.Describe = ((name: string, fn: () => void) => {
  if (process.env.EPILOGUE_POSTGRES !== 'down' || process.env.CI === 'true') {
    describe(name, () => {
      beforeAll(assertPostgres);
      fn();
    });
    return;
  }
  describe.skip(`${name} (skipped: no PostgreSQL on 127.0.0.1:5432; CI=true makes this a failure)`, fn);
}) as jest.Describe;

async function assertPostgres(): Promise<void> {
  const client = new pg.Client({ ...POSTGRES, connectionTimeoutMillis: 2000 });
  try {
    await client.connect();
    await client.query('select 1');
  } catch (error) {
    throw new PostgresUnavailableError(
      `These tests need PostgreSQL on 127.0.0.1:5432 (database "test", user "postgres", trust auth) and ` +
        `it does not answer (${String(error)}). Start it with \`pg_ctlcluster <version> main start\` ` +
        '(.ci/run does), and create the database with `createdb -h 127.0.0.1 -U postgres test`.',
      { cause: error },
    );
  } finally {
    await client.end().catch(() => undefined);
  }
}

class PostgresUnavailableError extends Error {
  readonly code = 'E_TEST_POSTGRES_UNAVAILABLE';
}
