import { describeValue, EpilogueError } from '@epilogue/core';

/** Thrown when a nested `db.transaction()` (a savepoint) is given options only a transaction can take. */
export class NestedTransactionOptionsError extends EpilogueError {
  /** @param options - The option names given. */
  static forOptions(options: readonly string[]): NestedTransactionOptionsError {
    return new NestedTransactionOptionsError(
      'E_NESTED_TRANSACTION_OPTIONS',
      `A db.transaction() inside another one is a SAVEPOINT, which cannot set ${options.join(' or ')}. ` +
        'Set them on the outermost db.transaction() only.',
    );
  }
}

/** Thrown when two nested transactions of one transaction run at once: savepoints of one connection nest, they do not overlap. */
export class ConcurrentTransactionError extends EpilogueError {
  static create(): ConcurrentTransactionError {
    return new ConcurrentTransactionError(
      'E_CONCURRENT_TRANSACTION',
      'A db.transaction() was started inside a transaction while another nested db.transaction() of it ' +
        'was still running. Both would share one connection, whose savepoints cannot overlap: await ' +
        'the first before starting the next (no Promise.all over nested transactions).',
    );
  }
}

/** Thrown when code keeps using a transaction after it committed or rolled back. */
export class TransactionEndedError extends EpilogueError {
  static create(): TransactionEndedError {
    return new TransactionEndedError(
      'E_TRANSACTION_ENDED',
      'db.query() or db.transaction() was called from work started inside a db.transaction() that ' +
        'has already ended (committed or rolled back), so its connection is gone. Await that work ' +
        'inside the transaction callback, or run it outside the transaction.',
    );
  }
}

/** Thrown for a `db.transaction()` option that PostgreSQL would not take. */
export class InvalidTransactionOptionError extends EpilogueError {
  /**
   * @param option - The option's name.
   * @param expected - What it takes.
   * @param value - What it was given.
   */
  static forOption(option: string, expected: string, value: unknown): InvalidTransactionOptionError {
    return new InvalidTransactionOptionError(
      'E_INVALID_TRANSACTION_OPTION',
      `The db.transaction() option ${option} must be ${expected}; got ${describeValue(value)}.`,
    );
  }
}
