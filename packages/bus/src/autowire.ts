import 'reflect-metadata';
import type { DependencyContainer, InjectionToken } from '@epilogue/core';
import { UnresolvableParameterError } from './errors.js';

const EXPLICIT = Symbol.for('epilogue.autowire');
const NOT_INJECTABLE = new Set<unknown>([Object, String, Number, Boolean, Array, Function, Symbol, BigInt, Promise]);
// Keyed by the method itself: a subclass that inherits it reads the same metadata (it lives on
// the prototype that declares the method), so one entry serves both, with a single lookup.
const cache = new WeakMap<object, readonly InjectionToken<unknown>[]>();

/**
 * Has a job's or handler's method parameters resolved from the container when the bus calls it.
 * Without arguments it uses the parameter types TypeScript records (`emitDecoratorMetadata`);
 * with arguments, the given tokens, in parameter order.
 *
 * @param tokens - Explicit tokens, for interfaces, strings and plain JavaScript.
 * @returns The method decorator.
 * @example
 * class SendWelcomeEmail extends Job {
 *   constructor(public user: User) { super(); }
 *   \@autowire()
 *   async handle(mailer: Mailer) { await mailer.send(this.user.email, 'Welcome'); }
 * }
 */
export function autowire(...tokens: InjectionToken<unknown>[]): MethodDecorator {
  return (target, method) => {
    if (tokens.length > 0) Reflect.defineMetadata(EXPLICIT, tokens, target, method);
  };
}

/**
 * Calls `target[method]` with its parameters resolved from `container`.
 *
 * @returns What the method returns.
 * @throws {UnresolvableParameterError} When a parameter has no usable token.
 */
export function callWithDependencies(target: object, method: string, container: () => DependencyContainer): unknown {
  const fn = (target as Record<string, Method>)[method];
  const tokens = parameterTokens(target, method, fn);
  if (tokens.length === 0) return fn.call(target);
  const scope = container();
  return fn.call(target, ...tokens.map((token) => scope.resolve(token)));
}

type Method = (...args: unknown[]) => unknown;

function parameterTokens(target: object, method: string, fn: Method): readonly InjectionToken<unknown>[] {
  let tokens = cache.get(fn);
  if (tokens === undefined) {
    tokens = readTokens(Object.getPrototypeOf(target) as object, method, fn.length);
    cache.set(fn, tokens);
  }
  return tokens;
}

function readTokens(owner: object, method: string, arity: number): readonly InjectionToken<unknown>[] {
  const name = owner.constructor?.name ?? 'the handler';
  const explicit = Reflect.getMetadata(EXPLICIT, owner, method) as InjectionToken<unknown>[] | undefined;
  const tokens = explicit ?? (Reflect.getMetadata('design:paramtypes', owner, method) as unknown[] | undefined);
  if (tokens === undefined) {
    if (arity > 0) throw UnresolvableParameterError.at(name, method, 0, 'no parameter types were recorded');
    return [];
  }
  tokens.forEach((token, index) => {
    if (token === undefined || NOT_INJECTABLE.has(token)) {
      throw UnresolvableParameterError.at(name, method, index, 'its type is not a class the container can build');
    }
  });
  return tokens as InjectionToken<unknown>[];
}
