// reflect-metadata must be loaded before tsyringe reads decorator metadata; importing the
// container through this module guarantees that order for every package and every user.
import 'reflect-metadata';

export {
  container as globalContainer,
  delay,
  inject,
  injectAll,
  injectable,
  instanceCachingFactory,
  instancePerContainerCachingFactory,
  Lifecycle,
  registry,
  scoped,
  singleton,
} from 'tsyringe';
export type {
  DependencyContainer,
  FactoryProvider,
  InjectionToken,
  RegistrationOptions,
} from 'tsyringe';
