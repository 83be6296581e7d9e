import { createRequire } from 'node:module';
import type * as OtelApiModule from '@opentelemetry/api';

/** The `@opentelemetry/api` module, as loaded. @internal */
export type OtelApi = typeof OtelApiModule;

// `@opentelemetry/api` is an optional peer dependency: a static import would break every
// application that does not install it. It is required once, here; when it is absent every
// instrumented path costs one check of this constant. In an ES module `require` is not defined
// and `createRequire()` resolves from this file; under a CommonJS transform (Jest) the module's
// own `require` is used, so `import.meta` is never evaluated there.
declare const require: NodeJS.Require | undefined;

function loadApi(): OtelApi | undefined {
  try {
    const load = typeof require === 'function' ? require : createRequire(metaUrl());
    return load('@opentelemetry/api') as OtelApi;
  } catch {
    return undefined;
  }
}

function metaUrl(): string {
  return import.meta.url;
}

/**
 * The loaded `@opentelemetry/api`, or `undefined` when it is not installed.
 * @internal
 */
export const otelApi: OtelApi | undefined = loadApi();
