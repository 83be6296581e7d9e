// Epilogue's metrics through the real OpenTelemetry metrics SDK, registered globally (as NodeSDK
// does) with an in-memory reader: the after-response gauges and counters read
// app.afterResponse.stats(), step durations, and queued jobs processed, failed, their duration,
// wait and the queue's depth.
import { Job, ShouldQueue } from '@epilogue/bus';
import { Application } from '@epilogue/core';
import { configureQueues, MemoryDriver, Worker } from '@epilogue/queue';
import { metrics } from '@opentelemetry/api';
import {
  AggregationTemporality,
  MeterProvider,
  MetricReader,
  type DataPoint,
  type Histogram,
  type MetricData,
} from '@opentelemetry/sdk-metrics';

class TestReader extends MetricReader {
  constructor() {
    super({ aggregationTemporalitySelector: () => AggregationTemporality.CUMULATIVE });
  }
  protected async onForceFlush(): Promise<void> {}
  protected async onShutdown(): Promise<void> {}
}

const reader = new TestReader();
const provider = new MeterProvider({ readers: [reader] });
metrics.setGlobalMeterProvider(provider);
afterAll(async () => {
  await provider.shutdown();
  metrics.disable();
});

async function collected(): Promise<Map<string, MetricData>> {
  const { resourceMetrics } = await reader.collect();
  const all = resourceMetrics.scopeMetrics.flatMap((scope) => scope.metrics);
  return new Map(all.map((metric) => [metric.descriptor.name, metric]));
}

const sum = (metric: MetricData | undefined) =>
  (metric?.dataPoints as DataPoint<number>[] | undefined)?.reduce((total, point) => total + point.value, 0) ?? 0;
const histogramCount = (metric: MetricData | undefined) =>
  (metric?.dataPoints as DataPoint<Histogram>[] | undefined)?.reduce((total, point) => total + point.value.count, 0) ?? 0;

class Greet extends Job {
  handle(): void {}
}

class Explode extends Job {
  handle(): void {
    throw new Error('boom');
  }
}

it('after-response callbacks: running and pending gauges, completed and failed counters, a duration histogram', async () => {
  const app = new Application({ report: () => undefined });
  const scope = app.createScope('http');
  let release!: () => void;
  const held = new Promise<void>((resolve) => (release = resolve));
  scope.terminating(() => held, 'held');
  scope.terminating(() => undefined, 'second');
  scope.terminating(() => {
    throw new Error('failed callback');
  }, 'third');
  const finished = scope.finish(true);
  await new Promise((resolve) => setImmediate(resolve));

  const during = await collected();
  expect(sum(during.get('epilogue.after_response.running'))).toBe(1);
  expect(sum(during.get('epilogue.after_response.pending'))).toBe(app.afterResponse.stats().pending);
  expect(during.get('epilogue.after_response.pending')?.descriptor.unit).toBe('{callback}');

  release();
  await finished;
  const after = await collected();
  expect(sum(after.get('epilogue.after_response.running'))).toBe(0);
  expect(sum(after.get('epilogue.after_response.completed'))).toBeGreaterThanOrEqual(2);
  expect(sum(after.get('epilogue.after_response.failed'))).toBeGreaterThanOrEqual(1);
  expect(after.has('epilogue.after_response.overflowed')).toBe(true);
  const duration = after.get('epilogue.after_response.duration');
  expect(duration?.descriptor.unit).toBe('s');
  expect(histogramCount(duration)).toBeGreaterThanOrEqual(3);
});

it('queued jobs: processed and failed counters, duration and wait histograms, and the queue depth gauge', async () => {
  const app = new Application({ report: () => undefined });
  ShouldQueue()(Greet);
  ShouldQueue()(Explode);
  const memory = new MemoryDriver();
  configureQueues(app, { default: 'memory', connections: { memory } });
  await Greet.dispatch();
  await Greet.dispatch();
  await Explode.dispatch();

  const worker = new Worker(app, { connection: 'memory' });
  const running = worker.run();
  for (let i = 0; i < 200 && (await memory.size('default')) > 0; i++) await new Promise((resolve) => setTimeout(resolve, 5));
  await new Promise((resolve) => setTimeout(resolve, 20));
  const seen = await collected();
  await worker.stop();
  await running;

  const processed = seen.get('epilogue.queue.jobs.processed');
  expect(sum(processed)).toBe(3);
  const outcomes = (processed!.dataPoints as DataPoint<number>[]).map((point) => [point.attributes['epilogue.job.name'], point.attributes['epilogue.job.outcome'], point.value]);
  expect(outcomes).toEqual(expect.arrayContaining([['Greet', 'complete', 2], ['Explode', 'fail', 1]]));
  expect(sum(seen.get('epilogue.queue.jobs.failed'))).toBe(1);
  expect(histogramCount(seen.get('epilogue.queue.job.duration'))).toBe(3);
  expect(histogramCount(seen.get('epilogue.queue.job.wait'))).toBe(3);
  expect(seen.get('epilogue.queue.job.wait')?.descriptor.unit).toBe('s');
  const depth = seen.get('epilogue.queue.depth');
  expect(depth?.dataPoints).toEqual([expect.objectContaining({ value: 0, attributes: expect.objectContaining({ 'messaging.destination.name': 'default' }) })]);
  await app.shutdown();
});
