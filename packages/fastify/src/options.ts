import type { Application } from '@epilogue/core';

/** Options of `fastify.register(epilogue, options)`. */
export interface EpilogueFastifyOptions {
  /** The Epilogue application whose scopes, kernel and reporter the plugin uses. */
  app: Application;
  /**
   * How long `fastify.close()` waits for in-flight requests and their after-response work
   * before `app.shutdown()` reports what is left. Default: 10,000 ms.
   */
  shutdownTimeoutMs?: number;
}
