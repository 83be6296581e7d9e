/**
 * Replaces methods of one object (not of its class) and returns what puts them back: other
 * instances, and this one once undone, run the class's own methods again, so nothing costs
 * anything while no fake is installed. Whoever already holds the object sees the replacements.
 *
 * @param target - The object whose methods to replace.
 * @param replace - Returns the new methods, by name. It receives the methods it replaces as they
 *   are now (the class's, or whatever replaced them before), bound to `target`: what a
 *   replacement calls to pass a call on. Only those are there, once `patchMethods` returns.
 * @returns Undoes the replacement, once; later calls do nothing.
 * @example
 * const undo = patchMethods(app, (real) => ({
 *   release(scope: Scope) {
 *     real.release(scope);
 *     if (app.activeScopes === 0) notify();
 *   },
 * }));
 */
export function patchMethods<T extends object>(
  target: T,
  replace: (real: T) => Partial<Record<keyof T, unknown>>,
): () => void {
  const real: Record<PropertyKey, unknown> = {};
  const saved: [PropertyKey, PropertyDescriptor | undefined][] = [];
  for (const [name, replacement] of Object.entries(replace(real as T))) {
    const method: unknown = (target as Record<PropertyKey, unknown>)[name];
    real[name] = typeof method === 'function' ? method.bind(target) : method;
    saved.push([name, Object.getOwnPropertyDescriptor(target, name)]);
    Object.defineProperty(target, name, { value: replacement, writable: true, configurable: true, enumerable: false });
  }
  let undone = false;
  return () => {
    if (undone) return;
    undone = true;
    // In reverse order, so that an own method that was there before comes back as it was.
    for (const [name, descriptor] of saved.reverse()) {
      if (descriptor === undefined) delete (target as Record<PropertyKey, unknown>)[name];
      else Object.defineProperty(target, name, descriptor);
    }
  };
}
