// A queued job's trace across processes, through the real OpenTelemetry SDK and a real Redis:
// the dispatching process writes a `send` span and carries its context in the payload; a worker
// process (`epilogue queue:work`) writes a `process` span whose parent is that send span. Each
// process writes its spans as JSON lines when it exits.
import { join } from 'node:path';
import { exitCode, type Started, startProcess, startWorkerProcess } from '@epilogue-internal/test-support/processes';
import { deleteKeys, describeWithRedis, uniquePrefix } from '@epilogue-internal/test-support/redis';
import { type ExportedSpan, spansOf, startTraced, withSdk } from '@epilogue-internal/test-support/telemetry';

const appModule = join(__dirname, 'fixtures/redis-app.mjs');
const dispatchScript = join(__dirname, 'fixtures/dispatch.mjs');
const PRODUCER = 3;
const CONSUMER = 4;
const STATUS_ERROR = 2;

// Waits until the worker reported `count` processed jobs, then stops it and returns its spans.
async function workerSpans(worker: Started, count: number): Promise<ExportedSpan[]> {
  const deadline = Date.now() + 15_000;
  const processed = () => worker.output().split('\n').filter((line) => line.includes('"event":"processed"')).length;
  while (processed() < count) {
    if (Date.now() > deadline) throw new Error(`the worker processed ${processed()} of ${count} jobs:\n${worker.output()}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  worker.child.kill('SIGTERM');
  expect(await exitCode(worker)).toBe(0);
  return spansOf(worker.output());
}

describeWithRedis('queued jobs traced across a real Redis worker process', () => {
  let prefix: string;
  const children: Started[] = [];

  beforeEach(() => {
    prefix = uniquePrefix('otel');
  });

  afterEach(async () => {
    for (const { child } of children.splice(0)) if (child.exitCode === null) child.kill('SIGKILL');
    await deleteKeys(prefix);
  });

  it("the worker's process span is a child of the dispatch's send span, in the same trace", async () => {
    const dispatcher = startTraced(prefix, dispatchScript, {}, ['41']);
    expect(await exitCode(dispatcher)).toBe(0);
    const sent = spansOf(dispatcher.output()).filter((span) => span.kind === PRODUCER);
    const worker = startWorkerProcess(prefix, appModule, [], withSdk());
    children.push(worker);
    const processed = (await workerSpans(worker, 2)).filter((span) => span.kind === CONSUMER);

    const send = sent.find((span) => span.attributes['epilogue.job.name'] === 'ShipOrder')!;
    const process = processed.find((span) => span.attributes['epilogue.job.name'] === 'ShipOrder')!;
    expect(send.name).toBe('send default');
    expect(process.name).toBe('process default');
    expect(process.traceId).toBe(send.traceId);
    expect(process.parentSpanId).toBe(send.spanId);
    expect(send.attributes).toMatchObject({
      'messaging.system': 'epilogue',
      'messaging.operation.type': 'send',
      'messaging.destination.name': 'default',
      'epilogue.queue.connection': 'redis',
    });
    expect(process.attributes).toMatchObject({
      'messaging.system': 'epilogue',
      'messaging.operation.type': 'process',
      'messaging.destination.name': 'default',
      'messaging.message.id': send.attributes['messaging.message.id'],
      'epilogue.job.outcome': 'complete',
    });
    expect(process.status.code).not.toBe(STATUS_ERROR);
  }, 30_000);

  it('a job that fails for good has the exception and status ERROR on its process span', async () => {
    const dispatcher = startTraced(prefix, dispatchScript, {}, ['42']);
    expect(await exitCode(dispatcher)).toBe(0);
    const worker = startWorkerProcess(prefix, appModule, [], withSdk());
    children.push(worker);
    const spans = await workerSpans(worker, 2);
    const failed = spans.find((span) => span.kind === CONSUMER && span.attributes['epilogue.job.name'] === 'ChargeCard')!;
    expect(failed.status).toEqual({ code: STATUS_ERROR, message: 'card declined' });
    expect(failed.events).toContain('exception');
    expect(failed.attributes['epilogue.job.outcome']).toBe('fail');
  }, 30_000);

  it('a payload written without a trace context (no SDK at dispatch, or an older payload) still runs, in a trace of its own', async () => {
    const dispatcher = startProcess(prefix, dispatchScript, ['43']);
    expect(await exitCode(dispatcher)).toBe(0);
    const worker = startWorkerProcess(prefix, appModule, [], withSdk());
    children.push(worker);
    const spans = await workerSpans(worker, 2);
    const process = spans.find((span) => span.kind === CONSUMER && span.attributes['epilogue.job.name'] === 'ShipOrder')!;
    expect(process.parentSpanId).toBeUndefined();
    expect(process.attributes['epilogue.job.outcome']).toBe('complete');
  }, 30_000);
});
