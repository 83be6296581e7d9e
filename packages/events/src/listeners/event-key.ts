import { InvalidEventError } from '../errors.js';

/** An event class: what `listen()` takes to hear its instances (and those of its subclasses). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type EventClass<E extends object = object> = abstract new (...args: any[]) => E;

/** What `listen()` and `forget()` take: an event class, an event name, or a wildcard such as `'orders.*'`. */
export type EventKey = EventClass | string;

/** An event about to be dispatched: the value listeners receive, its class (for class events) and its name. */
export interface DispatchedEvent {
  /** The event object, or the payload of a named event. */
  readonly value: unknown;
  /** The event's class; undefined for a named event. */
  readonly type: EventClass | undefined;
  /** The event's name: the class's `eventName`, else its name; or the name dispatched. */
  readonly name: string;
}

/**
 * The name of an event class: its own static `eventName` string when it has one (a name that
 * survives minification), else the class's name. Wildcards and name listeners match it.
 *
 * @param type - The event class.
 * @returns Its name.
 */
export function eventNameOf(type: EventClass): string {
  const own = Object.hasOwn(type, 'eventName') ? (type as unknown as { eventName: unknown }).eventName : undefined;
  return typeof own === 'string' && own !== '' ? own : type.name;
}

/**
 * Reads what was dispatched: an instance of an event class, or a name with an optional payload.
 *
 * @throws {InvalidEventError} For anything else (plain objects and arrays included).
 */
export function readEvent(event: unknown, payload: unknown): DispatchedEvent {
  if (typeof event === 'string' && event !== '') return { value: payload, type: undefined, name: event };
  const type = eventClassOf(event);
  if (type === undefined) throw InvalidEventError.forDispatch(event);
  return { value: event, type, name: eventNameOf(type) };
}

/**
 * Reads the event side of `listen()`: one key or a non-empty list of them.
 *
 * @throws {InvalidEventError} For anything that is not a class or a non-empty name.
 */
export function toKeys(events: unknown): EventKey[] {
  const list = Array.isArray(events) ? events : [events];
  if (list.length === 0) throw InvalidEventError.forListen(events);
  for (const key of list) if (!isKey(key)) throw InvalidEventError.forListen(key);
  return list as EventKey[];
}

/** Whether a key is a pattern: a name with `*` in it. */
export function isWildcard(key: EventKey): key is string {
  return typeof key === 'string' && key.includes('*');
}

/**
 * A test of whether events of a class and name are heard under `key`: a class hears its
 * instances and those of its subclasses, a name hears events of that name, and a wildcard
 * (`*` matches any run of characters, dots included) hears every name it matches.
 *
 * @param key - A valid event key.
 * @returns The test.
 */
export function matcher(key: EventKey): (type: EventClass | undefined, name: string) => boolean {
  if (typeof key === 'function') return (type) => type !== undefined && (type === key || type.prototype instanceof key);
  if (!isWildcard(key)) return (_type, name) => name === key;
  const pattern = new RegExp(`^${key.split('*').map(escape).join('.*')}$`, 's');
  return (_type, name) => pattern.test(name);
}

/** A readable name of a key, for messages. */
export function keyName(key: unknown): string {
  if (typeof key === 'function') return key.name || 'an anonymous event class';
  return typeof key === 'string' ? `'${key}'` : String(key);
}

function isKey(key: unknown): key is EventKey {
  return (typeof key === 'string' && key !== '') || (typeof key === 'function' && typeof key.prototype === 'object');
}

function eventClassOf(event: unknown): EventClass | undefined {
  if (typeof event !== 'object' || event === null || Array.isArray(event)) return undefined;
  const type = (event as { constructor?: unknown }).constructor;
  if (typeof type !== 'function' || type === Object) return undefined;
  return type as EventClass;
}

function escape(part: string): string {
  return part.replace(/[.+?^${}()|[\]\\]/g, '\\$&');
}
