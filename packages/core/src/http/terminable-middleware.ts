import type { Scope } from '../scope/scope.js';

/** What the kernel needs to know of a response: its status code, under Node's or the Fetch API's name. */
export type ResponseStatus = { statusCode: number } | { status: number };

/**
 * Middleware with work to do after the response was sent. The kernel calls `terminate` for each
 * registered one, in order, inside the request's scope, before the scope's terminating callbacks.
 */
export interface TerminableMiddleware {
  /**
   * @param request - The adapter's request object (Node `IncomingMessage`, Fetch `Request`...).
   * @param response - The adapter's response object, with its status.
   * @param scope - The request's scope.
   */
  terminate(request: unknown, response: ResponseStatus, scope: Scope): unknown;
}

/** The status code of a Node or Fetch response. */
export function statusOf(response: ResponseStatus): number {
  return 'statusCode' in response ? response.statusCode : response.status;
}
