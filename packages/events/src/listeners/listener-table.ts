import { isWildcard, matcher, type EventClass, type EventKey } from './event-key.js';
import type { ListenerRef } from './listener.js';

/** The listeners one `listen()` call gave for one event key. */
export interface Registration {
  /** The key they listen under. */
  readonly key: EventKey;
  /** Whether the key is a wildcard: its listeners receive `(eventName, event)`. */
  readonly wildcard: boolean;
  /** The listeners, in the order given. */
  readonly listeners: readonly ListenerRef[];
  /** Whether they run as one ordered sequence (a chain, when queued). */
  readonly sequential: boolean;
  /** Whether events of a class and name are heard under the key. */
  readonly matches: (type: EventClass | undefined, name: string) => boolean;
}

/**
 * The registrations of one event dispatcher, in registration order, with the list that matches
 * each event class or name cached until the next change.
 */
export class ListenerTable {
  #registrations: Registration[] = [];
  readonly #byClass = new Map<EventClass, readonly Registration[]>();
  readonly #byName = new Map<string, readonly Registration[]>();

  /**
   * Adds the registrations of one `listen()` call for each of its keys.
   *
   * @returns A function that removes them.
   */
  add(keys: readonly EventKey[], listeners: readonly ListenerRef[], sequential: boolean): () => void {
    const added = keys.map((key) => ({ key, wildcard: isWildcard(key), listeners, sequential, matches: matcher(key) }));
    this.#registrations = [...this.#registrations, ...added];
    this.#changed();
    return () => this.#remove((registration) => added.includes(registration));
  }

  /** Removes every registration made under `key` (the same class, name or pattern). */
  forget(key: EventKey): void {
    this.#remove((registration) => registration.key === key);
  }

  /**
   * The registrations that hear an event, in registration order.
   *
   * @param type - The event's class; undefined for a named event.
   * @param name - The event's name.
   */
  matching(type: EventClass | undefined, name: string): readonly Registration[] {
    const cache = type === undefined ? this.#byName : this.#byClass;
    const key = type ?? name;
    let found = (cache as Map<unknown, readonly Registration[]>).get(key);
    if (found === undefined) {
      found = this.#registrations.filter((registration) => registration.matches(type, name));
      (cache as Map<unknown, readonly Registration[]>).set(key, found);
    }
    return found;
  }

  /** Every registration, in registration order. */
  all(): readonly Registration[] {
    return this.#registrations;
  }

  #remove(test: (registration: Registration) => boolean): void {
    const kept = this.#registrations.filter((registration) => !test(registration));
    if (kept.length === this.#registrations.length) return;
    this.#registrations = kept;
    this.#changed();
  }

  #changed(): void {
    this.#byClass.clear();
    this.#byName.clear();
  }
}
