import { Application } from './application.js';
import { globalContainer, type DependencyContainer } from './container.js';
import type { Constructor } from './types.js';

/**
 * Makes `token` resolve, from any container, to the one instance of it that belongs to the
 * resolving container's application, created by `create` on first use. Constructor injection
 * of `token` then works everywhere without set-up, and an application may still override it by
 * registering its own in `app.container` (a test fake, say).
 *
 * @param token - The class to bind, such as `Dispatcher`.
 * @param create - Builds the application's instance.
 */
export function bindPerApplication<T>(token: Constructor<T>, create: (app: Application) => T): void {
  globalContainer.register(token, {
    useFactory: (container) => applicationOf(container).singleton(token, create),
  });
}

function applicationOf(container: DependencyContainer): Application {
  return container.isRegistered(Application, true) ? container.resolve(Application) : Application.getInstance();
}
