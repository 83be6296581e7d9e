import * as pg from '@epilogue/pg';
import { expectErrorRegistry } from '@epilogue-internal/test-support/error-registry';

describe('errors', () => {
  it('every exported error extends EpilogueError with a stable E_ code, one code per condition', () => {
    expectErrorRegistry(pg, {
      E_NESTED_TRANSACTION_OPTIONS: [pg.NestedTransactionOptionsError.forOptions(['isolationLevel'])],
      E_CONCURRENT_TRANSACTION: [pg.ConcurrentTransactionError.create()],
      E_TRANSACTION_ENDED: [pg.TransactionEndedError.create()],
      E_INVALID_TRANSACTION_OPTION: [pg.InvalidTransactionOptionError.forOption('isolationLevel', 'a known level', 'often')],
    });
  });
});
