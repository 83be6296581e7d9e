// On the application object under a registered symbol, so that a second copy of @epilogue/core
// in the process (see process-state.ts) reads the same setting.
const AT_ONCE = Symbol.for('epilogue.core.deferAtOnce');

/**
 * Makes `defer()` run its callbacks at once, during the call that registers them, instead of
 * after the unit of work (what `withoutDefer()` of `@epilogue/testing` sets); `false` puts
 * deferring back.
 *
 * @param app - The application (or any scope owner) whose scopes it applies to.
 * @param atOnce - Whether deferred callbacks run at once.
 */
export function runDeferredAtOnce(app: object, atOnce: boolean): void {
  if (atOnce) Object.defineProperty(app, AT_ONCE, { value: true, configurable: true, enumerable: false });
  else delete (app as { [AT_ONCE]?: true })[AT_ONCE];
}

/** Whether `runDeferredAtOnce(app, true)` is in effect. */
export function runsDeferredAtOnce(app: object): boolean {
  return (app as { [AT_ONCE]?: true })[AT_ONCE] === true;
}
