// Makes `@opentelemetry/api` unresolvable in this process, as if it were not installed, for the
// "without @opentelemetry/api" rows. Call it before the first Epilogue package is imported:
// @epilogue/core looks for the API once, when it loads, through CommonJS resolution.
import Module from 'node:module';

export function hideOtelApi() {
  const resolve = Module._resolveFilename;
  Module._resolveFilename = function (request, ...rest) {
    if (request === '@opentelemetry/api') {
      const error = new Error("Cannot find module '@opentelemetry/api'");
      error.code = 'MODULE_NOT_FOUND';
      throw error;
    }
    return resolve.call(this, request, ...rest);
  };
}
