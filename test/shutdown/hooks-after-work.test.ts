// `app.onShutdown()` hooks close what the work uses, so they run once the work has ended: a
// request's after-response job still querying PostgreSQL when the shutdown begins finishes its
// query on the pool, and only then does the hook close the pool.
import { Job } from '@epilogue/bus';
import { Application, type ErrorContext } from '@epilogue/core';
import { serve } from '@epilogue/node-http';
import { request as httpRequest, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import pg from 'pg';
import { describeWithPostgres, POSTGRES } from '@epilogue-internal/test-support/postgres';
import { gate } from '@epilogue-internal/test-support/waits';

let pool: pg.Pool;
let trail: string[];
let started: ReturnType<typeof gate>;
let goOn: ReturnType<typeof gate>;

class RecordVisit extends Job {
  constructor(public visitor: string) {
    super();
  }

  async handle(): Promise<void> {
    trail.push('job started');
    started.open();
    await goOn.opened;
    const { rows } = await pool.query<{ visitor: string }>('select $1::text as visitor', [this.visitor]);
    trail.push(`job queried for ${rows[0].visitor}`);
  }
}

function get(server: Server, path: string): Promise<number> {
  const { port } = server.address() as AddressInfo;
  return new Promise((resolve, reject) => {
    httpRequest({ host: '127.0.0.1', port, path }, (response) => {
      response.resume();
      response.on('end', () => resolve(response.statusCode ?? 0));
    })
      .on('error', reject)
      .end();
  });
}

describeWithPostgres('app.shutdown() with an after-response job using a pg pool', () => {
  let app: Application;
  let reports: { error: unknown; context: ErrorContext }[];

  beforeEach(() => {
    trail = [];
    started = gate();
    goOn = gate();
    reports = [];
    app = new Application({ report: (error, context) => reports.push({ error, context }) });
    pool = new pg.Pool({ ...POSTGRES, max: 1 });
  });
  afterEach(async () => {
    goOn.open();
    await app.shutdown();
    if (!pool.ending) await pool.end();
  });

  it('lets the job finish its query on the pool, then runs the hook that closes the pool', async () => {
    app.onShutdown(async () => {
      await pool.end();
      trail.push('pool closed');
    }, 'close the pg pool');
    const server = await serve(
      app,
      (request, response) => {
        RecordVisit.dispatchAfterResponse(request.url!.slice(1));
        response.end('ok');
      },
      { signals: [] },
    );

    expect(await get(server, '/alice')).toBe(200);
    await started.opened;
    const shutdown = app.shutdown({ timeoutMs: 10_000 }).then(() => trail.push('shut down'));
    // New work is refused at once; what would close the pool waits for the job.
    expect(server.listening).toBe(false);
    expect(pool.ending).toBe(false);

    goOn.open();
    await shutdown;
    expect(trail).toEqual(['job started', 'job queried for alice', 'pool closed', 'shut down']);
    expect(pool.ended).toBe(true);
    expect(reports).toEqual([]);
  });
});
