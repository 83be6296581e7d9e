import { AsyncLocalStorage } from 'node:async_hooks';
import type { Scope } from './scope.js';

/**
 * The one AsyncLocalStorage that carries the current Scope through async calls.
 * Every package finds the current scope here, so a copy of this module must not be duplicated.
 */
export const scopeStorage = new AsyncLocalStorage<Scope>();

/**
 * The scope the caller runs in, if any.
 *
 * @returns The current `Scope`, or `undefined` outside `app.runInScope()` and adapters.
 */
export function currentScope(): Scope | undefined {
  return scopeStorage.getStore();
}
