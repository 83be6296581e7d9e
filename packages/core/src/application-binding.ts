import { Application, isOnGlobalContainer } from './application.js';
import { globalContainer, injectable, type DependencyContainer } from './container.js';
import type { Constructor } from './types.js';

/**
 * Makes `token` resolve, from any container, to the one instance of it that belongs to the
 * resolving container's application, created by `create` on first use. Constructor injection
 * of `token` then works everywhere without set-up, and an application may still override it by
 * registering its own in `app.container`, or in a container given to `new Application({ container })`
 * (a test fake, say). Register overrides there, not on tsyringe's global container: the getter
 * returned here does not look at the global container again.
 *
 * @param token - The class to bind, such as `Dispatcher`.
 * @param create - Builds the application's instance.
 * @returns A function giving an application's instance of `token` (its override when it has
 *   one) without a round trip through the containers when nothing overrides it; the static
 *   helpers on hot paths use it.
 * @example
 * const dispatcherOf = bindPerApplication(Dispatcher, (app) => new Dispatcher(app));
 * dispatcherOf(app) === app.container.resolve(Dispatcher); // true
 */
export function bindPerApplication<T>(token: Constructor<T>, create: (app: Application) => T): (app: Application) => T {
  globalContainer.register(token, {
    useFactory: (container) => applicationOf(container).singleton(token, create),
  });
  // What `app.container.resolve(token)` gives, minus tsyringe's resolution work: the global
  // binding above is what it reaches unless the application's own container registers the
  // token, or the application was built on a container of its own (which might).
  return (app) =>
    isOnGlobalContainer(app) && !app.container.isRegistered(token)
      ? app.singleton(token, create)
      : app.container.resolve(token);
}

/**
 * Makes the decorated class a singleton of each application: one instance per `Application`,
 * made on first use with its constructor's dependencies resolved from that application's
 * container, and shared by all of that application's scopes. tsyringe's `@singleton()`, by
 * contrast, registers on tsyringe's global container, so every `Application` of the process
 * (every test's) shares its one instance. It implies `@injectable()`; an application may still
 * override the class by registering its own in `app.container`.
 *
 * @returns The class decorator (also callable in JavaScript: `singletonPerApplication()(Counter)`).
 * @example
 * @singletonPerApplication()
 * class IdSequence {
 *   #next = 1;
 *   next() { return this.#next++; }
 * }
 * new Application().make(IdSequence) !== new Application().make(IdSequence); // one per application
 */
export function singletonPerApplication(): <C extends Constructor>(target: C) => void {
  return (target) => {
    injectable()(target);
    bindPerApplication(target, (app) => {
      // A child container of the application's with the class registered as itself builds it
      // there (tsyringe constructs a class registration directly), never reaching the global
      // binding above, which would call this again.
      const builder = app.container.createChildContainer();
      builder.register(target, { useClass: target });
      return builder.resolve(target);
    });
  };
}

function applicationOf(container: DependencyContainer): Application {
  return container.isRegistered(Application, true) ? container.resolve(Application) : Application.getInstance();
}
