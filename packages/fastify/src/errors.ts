import { describe, EpilogueError } from '@epilogue/core';

/** Thrown when the plugin is registered without an Epilogue `Application` in its `app` option. */
export class MissingApplicationError extends EpilogueError {
  /** @param value - What the `app` option held. */
  static inPluginOptions(value: unknown): MissingApplicationError {
    return new MissingApplicationError(
      'E_FASTIFY_APP_REQUIRED',
      `The Epilogue Fastify plugin needs your Application: fastify.register(epilogue, { app }); ` +
        `the app option held ${describe(value)}. If you did pass an Application, two copies of ` +
        '@epilogue/core are installed; make every package resolve the same one.',
    );
  }
}
