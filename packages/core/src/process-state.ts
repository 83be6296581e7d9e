import { AsyncLocalStorage } from 'node:async_hooks';
import { DuplicateCoreError } from './errors.js';
import { VERSION } from './version.js';

/**
 * What there must be one of per process, whatever the number of copies of `@epilogue/core`
 * loaded: the storage that carries the current scope, and the registry of applications. A copy
 * that kept its own would not see the scopes of the other (work registered in a request would
 * go to an application's root scope, to run only at shutdown), nor its applications.
 * @internal
 */
export interface ProcessState {
  /** The shape of this object; a copy that knows another shape cannot share it. */
  readonly format: number;
  /** The version of the copy that created it. */
  readonly version: string;
  /** Carries the current scope through async calls. */
  readonly scopeStorage: AsyncLocalStorage<unknown>;
  /** Every application created, by any copy. */
  readonly applications: WeakSet<object>;
  /** The applications built on tsyringe's global container (no `container` option). */
  readonly onGlobalContainer: WeakSet<object>;
  /** The application `Application.getInstance()` returns outside scopes. */
  current: object | undefined;
  /** The versions of the copies loaded, the first one first. */
  readonly copies: string[];
  /** The applications with work registered outside any scope that `app.terminate()` has not run yet. */
  readonly unterminated: Set<object>;
  /** Whether the process's `beforeExit` listener that reports that work is installed. */
  watchingExit: boolean;
}

// Bumped whenever ProcessState changes shape; copies of another format refuse to share it.
const FORMAT = 1;
const KEY = Symbol.for('epilogue.core.process-state');

/**
 * The process's state: the one a copy of `@epilogue/core` loaded earlier created, else a new
 * one. A second copy shares the first one's, and says so with a warning (`E_DUPLICATE_CORE`):
 * the process works, but `instanceof` across the copies does not, and it is usually an
 * install that should be deduplicated.
 *
 * @throws {DuplicateCoreError} When a copy of an incompatible version created the state.
 */
function processState(): ProcessState {
  const slot = globalThis as { [KEY]?: ProcessState };
  const existing = slot[KEY];
  if (existing === undefined) {
    const state: ProcessState = {
      format: FORMAT,
      version: VERSION,
      scopeStorage: new AsyncLocalStorage(),
      applications: new WeakSet(),
      onGlobalContainer: new WeakSet(),
      current: undefined,
      copies: [VERSION],
      unterminated: new Set(),
      watchingExit: false,
    };
    Object.defineProperty(slot, KEY, { value: state, enumerable: false });
    return state;
  }
  if (existing.format !== FORMAT) throw DuplicateCoreError.incompatible(existing.version, VERSION);
  existing.copies.push(VERSION);
  process.emitWarning(DuplicateCoreError.loaded(existing.copies));
  return existing;
}

/** This process's state; see `ProcessState`. */
export const state: ProcessState = processState();
