import { Dispatcher, Job, ShouldQueue } from '@epilogue/bus';
import { Application, type ErrorContext } from '@epilogue/core';
import { EventDispatcher } from '@epilogue/events';
import { ConcurrentTransactionError, NestedTransactionOptionsError, PgDatabase, TransactionEndedError } from '@epilogue/pg';
import { configureQueues, MemoryDriver, QueuedJob, Worker, type QueueManager } from '@epilogue/queue';
import type pg from 'pg';
import { describeWithPostgres, dropSchema, poolInSchema, uniqueSchema } from '@epilogue-internal/test-support/postgres';

const schema = uniqueSchema('pg_database');
let pool: pg.Pool;
let db: PgDatabase;
let app: Application;
let manager: QueueManager;
let reports: { error: unknown; context: ErrorContext }[];
const seen: string[] = [];

// Runs on a worker: reads the order row through a connection of its own, as another process would.
@ShouldQueue()
class ShipOrder extends QueuedJob {
  constructor(public orderId: number) {
    super();
  }
  async handle() {
    const { rows } = await db.query('select id from orders where id = $1', [this.orderId]);
    seen.push(rows.length === 1 ? `order ${this.orderId} found` : `order ${this.orderId} missing`);
  }
}

@ShouldQueue()
class AlwaysAfterCommit extends QueuedJob {
  afterCommit = true;
  constructor(public label: string) {
    super();
  }
  handle() {
    seen.push(this.label);
  }
}

class Notify extends Job {
  constructor(public label: string) {
    super();
  }
  handle() {
    seen.push(this.label);
  }
}

function setup(connection: 'memory' | 'held' = 'memory') {
  seen.length = 0;
  reports = [];
  app = new Application({ report: (error, context) => reports.push({ error, context }) });
  db = new PgDatabase(pool, { app });
  manager = configureQueues(app, {
    default: connection,
    connections: { memory: new MemoryDriver(), held: { driver: new MemoryDriver(), afterCommit: true } },
  });
  return { bus: app.make(Dispatcher), events: app.make(EventDispatcher) };
}

async function pushedLabels(connection = 'memory'): Promise<number> {
  return manager.size(undefined, connection);
}

function work() {
  return new Worker(app, { stopWhenEmpty: true }).run();
}

// Runs `work` while a worker takes jobs as they come, then stops the worker.
async function withWorker(work: () => Promise<unknown>): Promise<void> {
  const worker = new Worker(app);
  const running = worker.run();
  try {
    await work();
  } finally {
    await worker.stop();
    await running;
  }
}

async function untilSeen(): Promise<void> {
  const deadline = Date.now() + 5000;
  while (seen.length === 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 5));
}

async function orderIds(): Promise<number[]> {
  const { rows } = await pool.query<{ id: number }>('select id from orders order by id');
  return rows.map((row) => row.id);
}

describeWithPostgres('PgDatabase: dispatch after commit on PostgreSQL', () => {
  beforeAll(async () => {
    pool = await poolInSchema(schema);
    await pool.query('create table orders (id integer primary key)');
  });
  afterAll(async () => {
    await pool?.end();
    await dropSchema(schema);
  });
  beforeEach(async () => {
    await pool.query('truncate orders');
  });

  it('pushes a job dispatched with afterCommit() once the transaction committed, and the worker finds the row', async () => {
    setup();
    await db.transaction(async (client) => {
      await client.query('insert into orders (id) values (1)');
      await expect(ShipOrder.dispatch(1).afterCommit()).resolves.toBeUndefined();
      expect(await pushedLabels()).toBe(0);
    });
    expect(await pushedLabels()).toBe(1);
    await work();
    expect(seen).toEqual(['order 1 found']);
  });

  it('shows the bug it prevents: without afterCommit a running worker takes the job before the commit', async () => {
    setup();
    await withWorker(() =>
      db.transaction(async (client) => {
        await client.query('insert into orders (id) values (2)');
        await ShipOrder.dispatch(2);
        await untilSeen();
      }),
    );
    expect(seen).toEqual(['order 2 missing']);
  });

  it('a running worker given an afterCommit job only sees it after the commit, with the row there', async () => {
    setup();
    await withWorker(async () => {
      await db.transaction(async (client) => {
        await client.query('insert into orders (id) values (3)');
        await ShipOrder.dispatch(3).afterCommit();
        await new Promise((resolve) => setTimeout(resolve, 50));
        expect(seen).toEqual([]);
      });
      await untilSeen();
    });
    expect(seen).toEqual(['order 3 found']);
  });

  it('drops what was held when the transaction rolls back, and rejects with its error', async () => {
    setup();
    const failure = new Error('payment declined');
    await expect(
      db.transaction(async (client) => {
        await client.query('insert into orders (id) values (4)');
        await ShipOrder.dispatch(4).afterCommit();
        throw failure;
      }),
    ).rejects.toBe(failure);
    expect(await pushedLabels()).toBe(0);
    expect(await orderIds()).toEqual([]);
    expect(reports).toEqual([]);
  });

  it('nested transactions are savepoints: a rolled-back one drops its dispatches, the outer commit pushes the rest in order', async () => {
    const { bus } = setup();
    await db.transaction(async () => {
      await db.query('insert into orders (id) values (10)');
      await bus.dispatch(new AlwaysAfterCommit('outer'));
      expect(db.depth()).toBe(1);
      await db
        .transaction(async () => {
          expect(db.depth()).toBe(2);
          await db.query('insert into orders (id) values (11)');
          await bus.dispatch(new AlwaysAfterCommit('rolled back'));
          await db.transaction(async () => {
            await bus.dispatch(new AlwaysAfterCommit('released inside the rolled-back one'));
          });
          throw new Error('inner failed');
        })
        .catch(() => undefined);
      await db.transaction(async () => {
        await db.query('insert into orders (id) values (12)');
        await bus.dispatch(new AlwaysAfterCommit('released'));
      });
      await bus.dispatch(new AlwaysAfterCommit('outer again'));
      expect(await pushedLabels()).toBe(0);
    });
    expect(await orderIds()).toEqual([10, 12]);
    await work();
    expect(seen).toEqual(['outer', 'released', 'outer again']);
  });

  it('a released savepoint whose outer transaction rolls back pushes nothing', async () => {
    const { bus } = setup();
    await db
      .transaction(async () => {
        await db.transaction(async () => {
          await db.query('insert into orders (id) values (20)');
          await bus.dispatch(new AlwaysAfterCommit('released'));
        });
        throw new Error('outer failed');
      })
      .catch(() => undefined);
    expect(await pushedLabels()).toBe(0);
    expect(await orderIds()).toEqual([]);
  });

  it('a connection with afterCommit: true holds every job; beforeCommit() opts out', async () => {
    setup('held');
    await db.transaction(async () => {
      await ShipOrder.dispatch(30);
      await ShipOrder.dispatch(31).beforeCommit();
      expect(await pushedLabels('held')).toBe(1);
    });
    expect(await pushedLabels('held')).toBe(2);
    // Outside any transaction nothing is held.
    await ShipOrder.dispatch(32);
    expect(await pushedLabels('held')).toBe(3);
  });

  it('after-response work dispatched inside a transaction is registered at the commit, and dropped on rollback', async () => {
    setup();
    const trail: string[] = [];
    await app.runInScope(async () => {
      await db.transaction(async () => {
        await Notify.dispatch('after response, committed').afterResponse().afterCommit();
        trail.push(`inside: ${seen.length}`);
      });
      await db
        .transaction(async () => {
          await Notify.dispatch('after response, rolled back').afterResponse().afterCommit();
          throw new Error('rolled back');
        })
        .catch(() => undefined);
      trail.push(`scope end: ${seen.join(', ')}`);
    });
    expect(trail).toEqual(['inside: 0', 'scope end: ']);
    expect(seen).toEqual(['after response, committed']);
  });

  it('a job run now (not queued) with afterCommit runs once the transaction committed', async () => {
    setup();
    await db.transaction(async () => {
      await Notify.dispatch('ran').afterCommit();
      expect(seen).toEqual([]);
    });
    expect(seen).toEqual(['ran']);
  });

  it('events with afterCommit = true, and listeners with afterCommit = true, wait for the commit', async () => {
    const { events } = setup();
    class OrderPlaced {
      afterCommit = true;
      constructor(public id: number) {}
    }
    class OrderUpdated {
      constructor(public id: number) {}
    }
    class AuditLater {
      afterCommit = true;
      handle(event: OrderUpdated) {
        seen.push(`audited ${event.id}`);
      }
    }
    events.listen(OrderPlaced, (event) => {
      seen.push(`placed ${event.id}`);
    });
    events.listen(OrderUpdated, [AuditLater, (event: OrderUpdated) => void seen.push(`updated ${event.id}`)]);
    await db.transaction(async () => {
      await expect(events.dispatch(new OrderPlaced(1))).resolves.toEqual([]);
      await events.dispatch(new OrderUpdated(1));
      expect(seen).toEqual(['updated 1']);
    });
    expect(seen).toEqual(['updated 1', 'placed 1', 'audited 1']);
    await db
      .transaction(async () => {
        await events.dispatch(new OrderPlaced(2));
        throw new Error('rolled back');
      })
      .catch(() => undefined);
    expect(seen).toEqual(['updated 1', 'placed 1', 'audited 1']);
  });

  it('a queued listener with afterCommit = true is pushed at the commit', async () => {
    const { events } = setup();
    class OrderPaid {
      constructor(public id: number) {}
    }
    @ShouldQueue()
    class SendReceipt {
      afterCommit = true;
      handle(event: OrderPaid) {
        seen.push(`receipt ${event.id}`);
      }
    }
    events.listen(OrderPaid, SendReceipt);
    await db.transaction(async () => {
      await events.dispatch(new OrderPaid(7));
      expect(await pushedLabels()).toBe(0);
    });
    expect(await pushedLabels()).toBe(1);
    await work();
    expect(seen).toEqual(['receipt 7']);
  });

  it('reports a held push that fails at the commit, with the job, and never rejects the committed transaction', async () => {
    setup();
    class Unserializable extends QueuedJob {
      afterCommit = true;
      fn = () => undefined;
      handle() {}
    }
    ShouldQueue()(Unserializable);
    await expect(db.transaction(() => app.make(Dispatcher).dispatch(new Unserializable()))).resolves.toBeUndefined();
    expect(reports).toHaveLength(1);
    expect(reports[0].context).toMatchObject({ phase: 'after-commit', job: 'Unserializable' });
  });

  it('db.query() inside a transaction uses its connection: the row is visible there and nowhere else before the commit', async () => {
    setup();
    await db.transaction(async () => {
      await db.query('insert into orders (id) values (40)');
      expect((await db.query('select id from orders')).rows).toEqual([{ id: 40 }]);
      expect(await orderIds()).toEqual([]);
      expect(db.inTransaction()).toBe(true);
    });
    expect(db.inTransaction()).toBe(false);
    expect(await orderIds()).toEqual([40]);
  });

  it('refuses options on a savepoint, two savepoints at once, and work that outlived its transaction', async () => {
    setup();
    await db.transaction(async () => {
      await expect(db.transaction(async () => 1, { isolationLevel: 'serializable' })).rejects.toBeInstanceOf(
        NestedTransactionOptionsError,
      );
      const results = await Promise.allSettled([db.transaction(async () => 1), db.transaction(async () => 2)]);
      expect(results[0]).toEqual({ status: 'fulfilled', value: 1 });
      expect(results[1]).toMatchObject({ status: 'rejected', reason: expect.any(ConcurrentTransactionError) });
    });
    let late: Promise<unknown> = Promise.resolve();
    await db.transaction(async () => {
      late = new Promise((resolve) => setTimeout(resolve, 10)).then(() => db.query('select 1'));
    });
    await expect(late).rejects.toBeInstanceOf(TransactionEndedError);
    await expect(db.transaction(async () => 1, { isolationLevel: 'serializable', readOnly: true })).resolves.toBe(1);
  });
});
