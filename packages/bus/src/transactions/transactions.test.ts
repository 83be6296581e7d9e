import { Application, type ErrorContext } from '@epilogue/core';
import { Dispatcher, Job, Transactions, transactionsOf, useTransactionManager, type TransactionManager } from '@epilogue/bus';

describe('Transactions (the bus side of dispatch after commit, with any database library)', () => {
  it('runs callbacks after the outermost level, in order; a released level hands them on, a rolled-back one drops them', async () => {
    const transactions = new Transactions();
    const ran: string[] = [];
    const add = (label: string) => expect(transactions.afterCommit(() => ran.push(label))).toBe(true);
    expect(transactions.afterCommit(() => ran.push('outside'))).toBe(false);
    await transactions.run(async () => {
      add('a');
      expect(transactions.depth()).toBe(1);
      await transactions
        .run(async () => {
          expect(transactions.depth()).toBe(2);
          add('dropped');
          await transactions.run(() => add('dropped with its parent'));
          throw new Error('savepoint rolled back');
        })
        .catch(() => undefined);
      await transactions.run(() => add('b'));
      add('c');
      expect(ran).toEqual([]);
    });
    expect(ran).toEqual(['a', 'b', 'c']);
    expect(transactions.inTransaction()).toBe(false);
  });

  it('reports a callback that throws and runs the others', async () => {
    const errors: unknown[] = [];
    const transactions = new Transactions({ report: (error) => errors.push(error) });
    const ran: string[] = [];
    await transactions.run(() => {
      transactions.afterCommit(() => {
        throw new Error('push failed');
      });
      transactions.afterCommit(() => ran.push('next'));
    });
    expect(ran).toEqual(['next']);
    expect(errors).toEqual([new Error('push failed')]);
  });

  it('a callback added by work that outlived a rolled-back transaction is dropped; after a commit it runs at once', async () => {
    const transactions = new Transactions();
    const ran: string[] = [];
    // Started inside the transaction, so it runs in its asynchronous context, but after it ended.
    const addLater = () =>
      new Promise<boolean>((resolve) => setTimeout(() => resolve(transactions.afterCommit(() => ran.push('late'))), 5));
    let late: Promise<boolean> = Promise.resolve(false);
    await transactions
      .run(() => {
        late = addLater();
        throw new Error('rolled back');
      })
      .catch(() => undefined);
    await expect(late).resolves.toBe(true);
    expect(ran).toEqual([]);
    await transactions.run(() => {
      late = addLater();
    });
    await expect(late).resolves.toBe(false);
  });

  it('the bus asks the manager installed with useTransactionManager()', async () => {
    const held: (() => unknown)[] = [];
    const manager: TransactionManager = {
      inTransaction: () => true,
      afterCommit: (callback) => (held.push(callback), true),
    };
    const reports: ErrorContext[] = [];
    const app = new Application({ report: (_error, context) => reports.push(context) });
    const ran: string[] = [];
    class Ship extends Job {
      afterCommit = true;
      handle() {
        ran.push('ship');
      }
    }
    useTransactionManager(app, manager);
    await expect(app.make(Dispatcher).dispatch(new Ship())).resolves.toBeUndefined();
    expect(ran).toEqual([]);
    useTransactionManager(app, undefined);
    await held[0]();
    expect(ran).toEqual(['ship']);
    // The application's own tracker again.
    await transactionsOf(app).run(() => app.make(Dispatcher).dispatch(new Ship()));
    expect(ran).toEqual(['ship', 'ship']);
    expect(reports).toEqual([]);
  });
});
