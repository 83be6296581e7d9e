import type { AsyncLocalStorage } from 'node:async_hooks';
import { state } from '../process-state.js';
import type { Scope } from './scope.js';

/**
 * The one AsyncLocalStorage that carries the current Scope through async calls. It is kept in
 * the process's state, so that a second copy of this package (two versions installed) sees the
 * same scopes rather than losing the work registered in them.
 */
export const scopeStorage = state.scopeStorage as AsyncLocalStorage<Scope>;

/**
 * The scope the caller runs in, if any.
 *
 * @returns The current `Scope`, or `undefined` outside `app.runInScope()` and adapters.
 */
export function currentScope(): Scope | undefined {
  return scopeStorage.getStore();
}
