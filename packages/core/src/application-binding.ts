import { Application, isOnGlobalContainer } from './application.js';
import { globalContainer, type DependencyContainer } from './container.js';
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

function applicationOf(container: DependencyContainer): Application {
  return container.isRegistered(Application, true) ? container.resolve(Application) : Application.getInstance();
}
