import { ReportedFailure } from '../scope/step.js';
import { definedAttributes } from './metrics.js';
import { otelApi, type OtelApi } from './otel-api.js';

/** The kind of a span, as OpenTelemetry names it. @internal */
export type TracedKind = 'internal' | 'producer' | 'consumer';

/** Attribute values a traced span may carry. @internal */
export type TracedAttributes = Record<string, string | number | boolean | undefined>;

/** How to start a traced span. @internal */
export interface TracedOptions {
  readonly kind?: TracedKind;
  readonly attributes?: TracedAttributes;
  /** The parent: a context from `activeTraceContext()` or `traceContextFrom()`; default: the active one. */
  readonly parent?: TraceContext;
}

/** An OpenTelemetry context, opaque to the code that carries it. @internal */
export type TraceContext = { readonly __otelContext: unique symbol };

/** What the code inside a span may do with it. @internal */
export interface TracedSpan {
  /** Adds attributes once they are known. */
  setAttributes(attributes: TracedAttributes): void;
  /** The span's context in W3C trace-context form (`traceparent`, `tracestate`), or `undefined` when nothing is propagated. */
  carrier(): Record<string, string> | undefined;
  /** Records a failure the traced function handled itself (it did not throw). */
  fail(error: unknown): void;
}

const KINDS: Record<TracedKind, number> = { internal: 0, producer: 3, consumer: 4 };
// The API's `SpanStatusCode.ERROR`.
const STATUS_ERROR = 2;

/**
 * The active OpenTelemetry context, to start spans under later (an after-response callback
 * runs once the request's context is gone), or `undefined` when the API is not installed.
 * @internal
 */
export function activeTraceContext(): TraceContext | undefined {
  return otelApi === undefined ? undefined : (otelApi.context.active() as unknown as TraceContext);
}

/**
 * The context a W3C trace-context carrier (`traceparent`...) names, read with the globally
 * registered propagator, or `undefined` when there is no carrier or no API.
 * @internal
 */
export function traceContextFrom(carrier: Record<string, string> | undefined): TraceContext | undefined {
  if (otelApi === undefined || carrier === undefined) return undefined;
  return otelApi.propagation.extract(otelApi.ROOT_CONTEXT, carrier) as unknown as TraceContext;
}

/**
 * Runs `fn` inside a new span named `name`, ended when `fn` returns or settles; a throw or
 * rejection is recorded on it (`recordException`, status ERROR) and passed on. Without
 * `@opentelemetry/api` this is `fn(undefined)`; with the API and no SDK, the API's no-op
 * tracer does the work.
 * @internal
 */
export function traced<T>(name: string, options: TracedOptions, fn: (span: TracedSpan | undefined) => T): T {
  if (otelApi === undefined || !observed(otelApi)) return fn(undefined);
  return runTraced(otelApi, name, options, fn);
}

/**
 * Whether `traced()` would make a span now: the API is installed and a tracer provider or a
 * propagator is registered.
 * @internal
 */
export function spansObserved(): boolean {
  return otelApi !== undefined && observed(otelApi);
}

let noopProvider: unknown;

// Whether a span could be seen: a tracer provider is registered (the global proxy delegates to
// something other than the API's no-op provider) or a propagator could carry the context on. With
// neither, a span and its context would be no-ops, so none is made.
function observed(api: OtelApi): boolean {
  noopProvider ??= new api.ProxyTracerProvider().getDelegate();
  const provider = api.trace.getTracerProvider() as { getDelegate?: () => unknown };
  return provider.getDelegate?.() !== noopProvider || api.propagation.fields().length > 0;
}

function runTraced<T>(api: OtelApi, name: string, options: TracedOptions, fn: (span: TracedSpan | undefined) => T): T {
  const parent = (options.parent as unknown as ReturnType<OtelApi['context']['active']>) ?? api.context.active();
  const span = tracerOf(api).startSpan(
    name,
    { kind: KINDS[options.kind ?? 'internal'], attributes: definedAttributes(options.attributes) },
    parent,
  );
  const spanContext = api.trace.setSpan(parent, span);
  const handle: TracedSpan = {
    setAttributes: (attributes) => span.setAttributes(definedAttributes(attributes) ?? {}),
    carrier: () => {
      const carrier: Record<string, string> = {};
      api.propagation.inject(spanContext, carrier);
      return Object.keys(carrier).length === 0 ? undefined : carrier;
    },
    fail: (error) => fail(span, error),
  };
  let result: T;
  try {
    result = api.context.with(spanContext, fn, undefined, handle);
  } catch (error) {
    fail(span, error);
    span.end();
    throw error;
  }
  if (!isPromise(result)) {
    span.end();
    return result;
  }
  return result.then(
    (value) => {
      span.end();
      return value;
    },
    (error: unknown) => {
      fail(span, error);
      span.end();
      throw error;
    },
  ) as T;
}

type Span = ReturnType<ReturnType<OtelApi['trace']['getTracer']>['startSpan']>;

function fail(span: Span, error: unknown): void {
  // A failure already reported elsewhere travels wrapped (see `ReportedFailure`): record the cause.
  const cause = error instanceof ReportedFailure ? error.error : error;
  const exception = cause instanceof Error ? cause : { message: String(cause) };
  span.recordException(exception);
  span.setStatus({ code: STATUS_ERROR, message: exception.message });
}

let cachedTracer: ReturnType<OtelApi['trace']['getTracer']> | undefined;

// The API hands out a proxy tracer that follows whatever provider is registered later, so one
// tracer serves the life of the process.
function tracerOf(api: OtelApi): ReturnType<OtelApi['trace']['getTracer']> {
  return (cachedTracer ??= api.trace.getTracer('epilogue'));
}

function isPromise<T>(value: T): value is T & Promise<Awaited<T>> {
  return typeof (value as { then?: unknown } | null)?.then === 'function';
}
