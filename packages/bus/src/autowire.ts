import 'reflect-metadata';
import type { DependencyContainer, InjectionToken } from '@epilogue/core';
import { UnresolvableParameterError } from './errors.js';

const EXPLICIT = Symbol.for('epilogue.autowire');
const NOT_INJECTABLE = new Set<unknown>([Object, String, Number, Boolean, Array, Function, Symbol, BigInt, Promise]);
const cache = new WeakMap<object, Map<string, readonly InjectionToken<unknown>[]>>();
const NONE: readonly unknown[] = [];

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
  const fn = (target as Record<string, (...args: unknown[]) => unknown>)[method];
  const tokens = parameterTokens(target, method, fn.length);
  if (tokens.length === 0) return fn.call(target, ...NONE);
  const scope = container();
  return fn.call(target, ...tokens.map((token) => scope.resolve(token)));
}

function parameterTokens(target: object, method: string, arity: number): readonly InjectionToken<unknown>[] {
  const owner = Object.getPrototypeOf(target) as object;
  let methods = cache.get(owner);
  if (methods === undefined) cache.set(owner, (methods = new Map()));
  let tokens = methods.get(method);
  if (tokens === undefined) methods.set(method, (tokens = readTokens(owner, method, arity)));
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
