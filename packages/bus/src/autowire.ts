import 'reflect-metadata';
import { resolveDependency, type DependencyContainer, type InjectionToken } from '@epilogue/core';
import { UnresolvableParameterError } from './errors.js';

const EXPLICIT = Symbol.for('epilogue.autowire');
const NOT_INJECTABLE = new Set<unknown>([Object, String, Number, Boolean, Array, Function, Symbol, BigInt, Promise]);
// Keyed by the method itself: a subclass that inherits it reads the same metadata (it lives on
// the prototype that declares the method), so one entry serves both, with a single lookup.
const cache = new WeakMap<object, readonly InjectionToken<unknown>[]>();
// Every method `@autowire` was put on, with how: a method decorated but without recorded
// parameter types then gets an error that says the build emits no decorator metadata.
const decorated = new WeakMap<object, { tokens: readonly InjectionToken<unknown>[]; standard: boolean }>();

/**
 * What `autowire()` returns: a method decorator that works both as a legacy (TypeScript
 * `experimentalDecorators`, Babel legacy, esbuild, SWC) and as a standard (TC39, TypeScript 5's
 * default) decorator, and as a plain function call in JavaScript without decorators:
 * `autowire(Mailer)(SendWelcomeEmail.prototype, 'handle')`.
 */
export interface AutowireDecorator {
  /** Legacy decorator, or a plain call with the prototype and the method name. */
  (target: object, method: string | symbol, descriptor?: PropertyDescriptor): void;
  /** Standard (TC39) method decorator. */
  (value: (...args: never[]) => unknown, context: ClassMethodDecoratorContext): void;
}

/**
 * Has a job's or handler's method parameters resolved from the container when the bus calls it.
 * With arguments it uses the given tokens, in parameter order: this works with every compiler
 * and in plain JavaScript. Without arguments it uses the parameter types that TypeScript records
 * with `experimentalDecorators` and `emitDecoratorMetadata`; tsx, esbuild, Bun and standard
 * decorators record none, and the bus then says so when it calls the method.
 *
 * @param tokens - The parameters' tokens (classes, strings, symbols), in order.
 * @returns The method decorator, legacy and standard alike.
 * @example
 * class SendWelcomeEmail extends Job {
 *   constructor(public user: User) { super(); }
 *   \@autowire(Mailer)
 *   async handle(mailer: Mailer) { await mailer.send(this.user.email, 'Welcome'); }
 * }
 * // Plain JavaScript: autowire(Mailer)(SendWelcomeEmail.prototype, 'handle');
 */
export function autowire(...tokens: InjectionToken<unknown>[]): AutowireDecorator {
  return ((target: object, method: string | symbol | ClassMethodDecoratorContext, descriptor?: PropertyDescriptor) => {
    if (typeof method === 'object' && method !== null) {
      // Standard decorator: (the method, its context). Nothing is recorded about parameter types.
      decorated.set(target, { tokens, standard: true });
      return;
    }
    const fn = descriptor?.value ?? (target as Record<string | symbol, unknown>)[method];
    if (typeof fn === 'function') decorated.set(fn, { tokens, standard: false });
    if (tokens.length > 0) Reflect.defineMetadata(EXPLICIT, tokens, target, method);
  }) as AutowireDecorator;
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
  const owner = target.constructor?.name ?? 'the handler';
  return fn.call(target, ...tokens.map((token, index) => resolveDependency(scope, token, `parameter ${index} of ${owner}.${method}()`)));
}

type Method = (...args: unknown[]) => unknown;

function parameterTokens(target: object, method: string, fn: Method): readonly InjectionToken<unknown>[] {
  let tokens = cache.get(fn);
  if (tokens === undefined) {
    tokens = readTokens(Object.getPrototypeOf(target) as object, method, fn);
    cache.set(fn, tokens);
  }
  return tokens;
}

function readTokens(owner: object, method: string, fn: Method): readonly InjectionToken<unknown>[] {
  const name = owner.constructor?.name ?? 'the handler';
  const declared = decorated.get(fn);
  const explicit = declared?.standard
    ? declared.tokens
    : (Reflect.getMetadata(EXPLICIT, owner, method) as InjectionToken<unknown>[] | undefined);
  const recorded = Reflect.getMetadata('design:paramtypes', owner, method) as unknown[] | undefined;
  const tokens = explicit !== undefined && explicit.length > 0 ? explicit : recorded;
  if (tokens === undefined) {
    if (fn.length === 0) return [];
    if (declared === undefined) throw UnresolvableParameterError.undeclared(name, method, fn.length);
    throw UnresolvableParameterError.noMetadata(name, method, fn.length, declared.standard);
  }
  tokens.forEach((token, index) => {
    if (token === undefined || NOT_INJECTABLE.has(token)) {
      throw UnresolvableParameterError.at(name, method, index, 'its type is not a class the container can build');
    }
  });
  return tokens as InjectionToken<unknown>[];
}
