import type { AfterResponseStats } from '../after-response/governor.js';
import { otelApi } from './otel-api.js';
import type { TracedAttributes } from './tracing.js';

type Attributes = Record<string, string | number | boolean>;

/** What an observable instrument's callback is handed. @internal */
export interface ObservedResult {
  observe(value: number, attributes?: Attributes): void;
}

/**
 * The part of the API's `Meter` Epilogue uses, declared here so that no published type names
 * `@opentelemetry/api` (an optional peer dependency).
 * @internal
 */
export interface OtelMeter {
  createHistogram(name: string, options?: InstrumentOptions): { record(value: number, attributes?: Attributes): void };
  createCounter(name: string, options?: InstrumentOptions): { add(value: number, attributes?: Attributes): void };
  createObservableGauge(name: string, options?: InstrumentOptions): { addCallback(callback: (result: ObservedResult) => void | Promise<void>): void };
  createObservableCounter(name: string, options?: InstrumentOptions): { addCallback(callback: (result: ObservedResult) => void | Promise<void>): void };
}

/** An instrument's unit and description. @internal */
export interface InstrumentOptions {
  unit?: string;
  description?: string;
}

/**
 * Instruments built from the globally registered meter provider, rebuilt when another provider
 * is registered: unlike tracers, the API's meters do not follow a provider registered later.
 * `get()` returns `undefined` when `@opentelemetry/api` is not installed or no meter provider
 * is registered (the API's no-op meter would record nothing), so that a caller does not even
 * build the attributes then.
 * @internal
 */
export class LazyInstruments<T> {
  #provider: unknown;
  #instruments: T | undefined;

  /** @param build - Creates the instruments on a meter (observable callbacks included). */
  constructor(private readonly build: (meter: OtelMeter) => T) {}

  /** The instruments of the provider registered now. */
  get(): T | undefined {
    if (otelApi === undefined) return undefined;
    const provider = otelApi.metrics.getMeterProvider();
    if (provider !== this.#provider) {
      this.#provider = provider;
      const meter = provider.getMeter('epilogue');
      this.#instruments = meter === otelApi.createNoopMeter() ? undefined : this.build(meter);
    }
    return this.#instruments;
  }
}

/** What the after-response gauges read: a governor's `stats()`. @internal */
export interface StatsSource {
  stats(): AfterResponseStats;
}

// Governors are held weakly, so that an application that was dropped is not kept for its gauges.
const governors = new Set<WeakRef<StatsSource>>();

const afterResponse = new LazyInstruments((meter) => {
  const observe = (field: keyof AfterResponseStats) => (result: ObservedResult) =>
    result.observe(sumOf(field));
  const unit = '{callback}';
  meter.createObservableGauge('epilogue.after_response.running', { unit, description: 'After-response callbacks running now.' }).addCallback(observe('running'));
  meter.createObservableGauge('epilogue.after_response.pending', { unit, description: 'After-response callbacks of ended requests waiting to start.' }).addCallback(observe('pending'));
  meter.createObservableCounter('epilogue.after_response.completed', { unit, description: 'After-response callbacks that ran to the end.' }).addCallback(observe('completed'));
  meter.createObservableCounter('epilogue.after_response.failed', { unit, description: 'After-response callbacks that threw or rejected.' }).addCallback(observe('failed'));
  meter.createObservableCounter('epilogue.after_response.overflowed', { unit, description: 'After-response jobs sent to the overflow queue connection.' }).addCallback(observe('overflowed'));
  return {
    duration: meter.createHistogram('epilogue.after_response.duration', { unit: 's', description: 'How long a step of a scope\'s end ran (after-response callbacks, deferred callbacks, terminable middleware).' }),
  };
});

function sumOf(field: keyof AfterResponseStats): number {
  let sum = 0;
  for (const ref of governors) {
    const governor = ref.deref();
    if (governor === undefined) governors.delete(ref);
    else sum += governor.stats()[field];
  }
  return sum;
}

/**
 * Counts a governor's `stats()` in the after-response gauges, all applications together.
 * @internal
 */
export function watchGovernor(governor: StatsSource): void {
  if (otelApi === undefined) return;
  governors.add(new WeakRef(governor));
  afterResponse.get();
}

/**
 * Whether step durations are recorded now (a meter provider is registered).
 * @internal
 */
export function stepDurationsRecorded(): boolean {
  return afterResponse.get() !== undefined;
}

/**
 * Records how long one step of a scope's end ran, in milliseconds.
 * @internal
 */
export function recordStepDuration(ms: number, attributes: TracedAttributes): void {
  afterResponse.get()?.duration.record(ms / 1000, definedAttributes(attributes));
}

/** The attributes whose value is set. @internal */
export function definedAttributes(attributes: TracedAttributes | undefined): Record<string, string | number | boolean> | undefined {
  if (attributes === undefined) return undefined;
  const kept: Record<string, string | number | boolean> = {};
  for (const [key, value] of Object.entries(attributes)) if (value !== undefined) kept[key] = value;
  return kept;
}
