import type { Application, ShedLoadOption } from '@epilogue/core';

/** Options of `fastify.register(epilogue, options)`. */
export interface EpilogueFastifyOptions {
  /** The Epilogue application whose scopes, kernel and reporter the plugin uses. */
  app: Application;
  /**
   * How long `fastify.close()` waits for in-flight requests and their after-response work
   * before `app.shutdown()` reports what is left. Default: 10,000 ms.
   */
  shutdownTimeoutMs?: number;
  /**
   * Answer `503` with `Retry-After` (in an `onRequest` hook, before the route) while
   * `app.afterResponse.overloaded` is true: `true` (`Retry-After: 1`) or `{ retryAfterSeconds }`.
   * Off by default. For `@fastify/under-pressure`, pass `() => !app.afterResponse.overloaded`
   * as its `healthCheck` instead.
   */
  shedLoad?: ShedLoadOption;
}
