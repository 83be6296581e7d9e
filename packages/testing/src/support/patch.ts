/**
 * Replaces methods of one object (not of its class) and returns what puts them back: other
 * instances, and this one once undone, run the class's own methods again, so nothing costs
 * anything while no fake is installed. Whoever already holds the object sees the replacements.
 *
 * @param target - The object whose methods to replace.
 * @param replacements - The new methods, by name.
 * @returns Undoes the replacement, once; later calls do nothing.
 */
export function patchMethods<T extends object>(target: T, replacements: Partial<Record<keyof T, unknown>>): () => void {
  const saved: [PropertyKey, PropertyDescriptor | undefined][] = [];
  for (const [name, replacement] of Object.entries(replacements)) {
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
