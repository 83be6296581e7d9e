import type { AfterResponseGovernor } from '../after-response/governor.js';
import type { DependencyContainer } from '../container.js';
import type { ErrorContext, ErrorReporter } from '../reporter.js';

/**
 * What a scope needs of the application that owns it. `Application` implements it; scopes
 * depend on this interface, not on the class, so that the two modules do not import each other.
 */
export interface ScopeOwner {
  /** The root container; a scope's own container is a child of it. */
  readonly container: DependencyContainer;
  /** Reports an error with its context; never throws. */
  readonly report: ErrorReporter;
  /** Starts the after-response work of HTTP scopes. */
  readonly afterResponse: AfterResponseGovernor;
  /** Counts a scope as in-flight (again). */
  retain(scope: object): void;
  /** Counts a scope as finished. */
  release(scope: object): void;
  /** Called when work is registered on the root scope (outside any scope), which waits for `terminate()`. */
  rootWorkAdded?(): void;
}

/** Where a failing callback is reported: the reporter, and the context of the scope it ran in. */
export interface ReportsTo {
  readonly app: { readonly report: ErrorReporter };
  reportContext(phase: string): ErrorContext;
}
