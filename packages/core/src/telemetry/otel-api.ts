import { createRequire } from 'node:module';
import { join, resolve } from 'node:path';
import type * as OtelApiModule from '@opentelemetry/api';

/** The `@opentelemetry/api` module, as loaded. @internal */
export type OtelApi = typeof OtelApiModule;

// `@opentelemetry/api` is an optional peer dependency: a static import would break every
// application that does not install it. It is required once, here; when it is absent every
// instrumented path costs one check of this constant. The package is CommonJS, so its own
// `require` looks first; an install that does not place the optional peer where this package
// can see it is covered by looking from the application: its main script, then the working
// directory.
declare const require: NodeJS.Require | undefined;

function loadApi(): OtelApi | undefined {
  if (typeof require === 'function') {
    try {
      return require('@opentelemetry/api') as OtelApi;
    } catch {
      // Not installed next to this package; try from the application below.
    }
  }
  const from = [process.argv[1], join(process.cwd(), 'index.js')].filter((path): path is string => Boolean(path));
  for (const path of from) {
    try {
      return createRequire(resolve(path))('@opentelemetry/api') as OtelApi;
    } catch {
      // Not found from there.
    }
  }
  return undefined;
}

/**
 * The loaded `@opentelemetry/api`, or `undefined` when it is not installed.
 * @internal
 */
export const otelApi: OtelApi | undefined = loadApi();
