import { EpilogueError } from '@epilogue/core';

/**
 * Reported (once per `epilogue(app)` middleware) when a request was answered by a route that was
 * registered before `app.use(epilogue(app))`: that route ran outside any request scope.
 */
export class ExpressMountedAfterRoutesError extends EpilogueError {
  /**
   * @param method - The request's method.
   * @param path - The path of the route that answered it, as registered.
   */
  static forRoute(method: string, path: string): ExpressMountedAfterRoutesError {
    return new ExpressMountedAfterRoutesError(
      'E_EXPRESS_MOUNTED_AFTER_ROUTES',
      `The route ${method} ${path} answered a request without a request scope: it is registered before ` +
        'app.use(epilogue(app)), so the Epilogue middleware never ran for it. Its defer() callbacks and ' +
        'dispatchAfterResponse() jobs went to the application\'s root scope, which runs them only at ' +
        'app.terminate() or app.shutdown(), not after the response. Mount the middleware before the routes: ' +
        'expressApp.use(epilogue(app)) first, then expressApp.get(...), expressApp.use(router)...',
    );
  }
}
