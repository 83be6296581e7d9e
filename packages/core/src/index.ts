/**
 * The core of Epilogue: the `Application` and its scopes, the `Pipeline`, `defer()`, the HTTP
 * kernel that runs after-response work, and `runCommand()` for console scopes.
 *
 * Import it before anything that uses tsyringe decorators: it loads `reflect-metadata` first.
 *
 * @module
 * @example
 * import { Application, defer } from '@epilogue/core';
 *
 * const app = new Application();
 * await app.runInScope(async () => {
 *   defer(() => console.log('runs after the work succeeded'));
 * });
 */
import 'reflect-metadata';

export { AfterResponseGovernor } from './after-response/governor.js';
export type { AfterResponseStats, OverflowQueue } from './after-response/governor.js';
export type { AfterResponseOptions } from './after-response/options.js';
export { ReportedFailure } from './scope/step.js';
export { loadShedder, SHED_BODY } from './after-response/shed-load.js';
export type { LoadShedder, ShedLoadOption } from './after-response/shed-load.js';
export { Application } from './application.js';
export type { ApplicationOptions, ScopeOptions, ShutdownHook, ShutdownOptions } from './application.js';
export { bindPerApplication, singletonPerApplication } from './application-binding.js';
export {
  globalContainer,
  delay,
  inject,
  injectAll,
  injectable,
  instanceCachingFactory,
  instancePerContainerCachingFactory,
  Lifecycle,
  registry,
  scoped,
  singleton,
} from './container.js';
export type { DependencyContainer, FactoryProvider, InjectionToken, RegistrationOptions } from './container.js';
export { runCommand } from './console/run-command.js';
export type { RunCommandOptions } from './console/run-command.js';
export { defer } from './defer/defer.js';
export { runDeferredAtOnce, runsDeferredAtOnce } from './defer/defer-at-once.js';
export { DeferredCallback } from './defer/deferred-callback.js';
export type { DeferredFunction } from './defer/deferred-callback.js';
export { DeferredCallbackCollection } from './defer/deferred-callback-collection.js';
export {
  AfterResponseOverloadedError,
  CloseTimeoutError,
  DependencyResolutionError,
  describeValue,
  DuplicateCoreError,
  EpilogueError,
  InvalidAfterResponseOptionError,
  InvalidCallbackError,
  InvalidExitCodeError,
  InvalidPipeError,
  InvalidShedLoadOptionError,
  NextCalledTwiceError,
  NoApplicationError,
  PendingAtExitError,
  resolveDependency,
  ShutdownTimeoutError,
} from './errors.js';
export { HttpKernel } from './http/http-kernel.js';
export type { TerminableMiddlewareEntry } from './http/http-kernel.js';
export { InvokeDeferredCallbacks } from './http/invoke-deferred-callbacks.js';
export { statusOf } from './http/terminable-middleware.js';
export type { ResponseStatus, TerminableMiddleware } from './http/terminable-middleware.js';
export { composePipes, type ComposedPipes } from './pipeline/compose.js';
export { Pipeline } from './pipeline/pipeline.js';
export type { Next, Pipe, PipeFunction } from './pipeline/pipeline.js';
export { consoleReporter } from './reporter.js';
export type { ErrorContext, ErrorReporter } from './reporter.js';
export { currentScope } from './scope/scope-storage.js';
export { Scope } from './scope/scope.js';
export type { Closable } from './shutdown/closables.js';
export type { ScopeOwner } from './scope/scope-owner.js';
export type { ScopeKind } from './scope/scope.js';
export type { TerminatingCallback } from './scope/terminating-callbacks.js';
export { ListenerRegistry } from './support/listener-registry.js';
export type { Listener } from './support/listener-registry.js';
export type { Constructor } from './types.js';
export { definedAttributes, LazyInstruments } from './telemetry/metrics.js';
export type { InstrumentOptions, ObservedResult, OtelMeter } from './telemetry/metrics.js';
export { spansObserved, traceContextFrom, traced } from './telemetry/tracing.js';
export type { TracedAttributes, TracedKind, TracedOptions, TracedSpan, TraceContext } from './telemetry/tracing.js';
