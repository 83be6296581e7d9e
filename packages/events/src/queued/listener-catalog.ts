import type { Application, Constructor } from '@epilogue/core';
import { DuplicateListenerNameError, InvalidListenerError } from '../errors.js';

/**
 * The listener classes of one application that may travel through a queue, by stable name. A
 * queued listener's job carries only the name; the worker builds the class found here, so a
 * payload can never make it build anything else. `listen()` adds the classes it queues.
 *
 * A class's name is its own static `listenerName` string, else its class name.
 */
export class ListenerCatalog {
  readonly #byName = new Map<string, Constructor>();
  readonly #byClass = new Map<Constructor, string>();

  /**
   * Adds a listener class.
   *
   * @param listener - The class.
   * @param event - The event it listens to, for messages.
   * @returns The name it travels under.
   * @throws {InvalidListenerError} For a class without a name.
   * @throws {DuplicateListenerNameError} When another class has the name.
   */
  add(listener: Constructor, event: string): string {
    const known = this.#byClass.get(listener);
    if (known !== undefined) return known;
    const name = listenerNameOf(listener);
    if (name === '') throw InvalidListenerError.anonymous(event);
    const owner = this.#byName.get(name);
    if (owner !== undefined) throw DuplicateListenerNameError.forName(name, owner.name, listener.name);
    this.#byName.set(name, listener);
    this.#byClass.set(listener, name);
    return name;
  }

  /** The name a class travels under, if it was added. */
  nameOf(listener: Constructor): string | undefined {
    return this.#byClass.get(listener);
  }

  /** The class added under `name`, if any. */
  classFor(name: string): Constructor | undefined {
    return this.#byName.get(name);
  }
}

/**
 * The listener catalog of an application, made on first use.
 *
 * @param app - The application.
 * @returns Its catalog.
 */
export function listenerCatalog(app: Application): ListenerCatalog {
  return app.singleton(ListenerCatalog, () => new ListenerCatalog());
}

function listenerNameOf(listener: Constructor): string {
  const own = Object.hasOwn(listener, 'listenerName')
    ? (listener as unknown as { listenerName: unknown }).listenerName
    : undefined;
  return typeof own === 'string' && own !== '' ? own : listener.name;
}
