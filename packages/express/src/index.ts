/**
 * The Epilogue middleware for Express 4 and 5: a scope per request, and after-response work once
 * the response is flushed or the client went away.
 *
 * @module
 * @example
 * import express from 'express';
 * import { Application } from '@epilogue/core';
 * import { epilogue, reportErrors } from '@epilogue/express';
 *
 * const app = new Application();
 * const expressApp = express();
 * expressApp.use(epilogue(app));
 * expressApp.get('/', (req, res) => {
 *   SendWelcomeEmail.dispatchAfterResponse(user);
 *   res.send('ok');
 * });
 * expressApp.use(reportErrors(app));
 * expressApp.listen(3000);
 */
export { ExpressMountedAfterRoutesError } from './errors.js';
export { epilogue } from './middleware.js';
export type { EpilogueExpressOptions, EpilogueMiddleware } from './middleware.js';
export { reportErrors } from './report-errors.js';
export type { ErrorReportingMiddleware } from './report-errors.js';
