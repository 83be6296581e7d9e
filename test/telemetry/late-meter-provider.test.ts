// A meter provider registered after the worker started (an SDK set up late, or replaced): the
// jobs from then on are counted, and the queue depth gauge, which the worker set up at its start
// when no provider was there, reports its queues to the new one.
import { Job, ShouldQueue } from '@epilogue/bus';
import { Application } from '@epilogue/core';
import { configureQueues, MemoryDriver, Worker } from '@epilogue/queue';
import { metrics } from '@opentelemetry/api';
import { AggregationTemporality, MeterProvider, MetricReader, type DataPoint } from '@opentelemetry/sdk-metrics';

class TestReader extends MetricReader {
  constructor() {
    super({ aggregationTemporalitySelector: () => AggregationTemporality.CUMULATIVE });
  }
  protected async onForceFlush(): Promise<void> {}
  protected async onShutdown(): Promise<void> {}
}

@ShouldQueue()
class Ping extends Job {
  handle(): void {}
}

afterAll(() => metrics.disable());

it('counts the jobs run once a provider is registered, and reports the depth of the queues the worker took before', async () => {
  const app = new Application({ report: () => undefined });
  const memory = new MemoryDriver();
  configureQueues(app, { default: 'memory', connections: { memory } });
  const worker = new Worker(app, { connection: 'memory' });
  const running = worker.run();
  const ran = () =>
    new Promise<void>((resolve) => {
      const stop = worker.on('processed', () => {
        stop();
        resolve();
      });
    });

  let done = ran();
  await Ping.dispatch();
  await done;

  const reader = new TestReader();
  const provider = new MeterProvider({ readers: [reader] });
  metrics.setGlobalMeterProvider(provider);
  done = ran();
  await Ping.dispatch();
  await done;

  const { resourceMetrics } = await reader.collect();
  const all = new Map(resourceMetrics.scopeMetrics.flatMap((scope) => scope.metrics).map((metric) => [metric.descriptor.name, metric]));
  const processed = all.get('epilogue.queue.jobs.processed')?.dataPoints as DataPoint<number>[] | undefined;
  expect(processed?.reduce((total, point) => total + point.value, 0)).toBe(1);
  expect(all.get('epilogue.queue.depth')?.dataPoints).toEqual([
    expect.objectContaining({ value: 0, attributes: expect.objectContaining({ 'messaging.destination.name': 'default' }) }),
  ]);
  await worker.stop();
  await running;
  await app.shutdown();
  await provider.shutdown();
});
