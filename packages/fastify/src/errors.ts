import { describeValue, EpilogueError } from '@epilogue/core';

/** Thrown when the plugin is registered without an Epilogue `Application` in its `app` option. */
export class MissingApplicationError extends EpilogueError {
  /** @param value - What the `app` option held. */
  static inPluginOptions(value: unknown): MissingApplicationError {
    return new MissingApplicationError(
      'E_FASTIFY_APP_REQUIRED',
      `The Epilogue Fastify plugin needs your Application: fastify.register(epilogue, { app }); ` +
        `the app option held ${describeValue(value)}. If you did pass an Application, two copies of ` +
        '@epilogue/core are installed; make every package resolve the same one.',
    );
  }
}

/** Thrown when the plugin is registered a second time where it already is (the same instance or an ancestor). */
export class PluginRegisteredTwiceError extends EpilogueError {
  /** Made by the plugin's second registration. */
  static onInstance(): PluginRegisteredTwiceError {
    return new PluginRegisteredTwiceError(
      'E_FASTIFY_REGISTERED_TWICE',
      'The Epilogue Fastify plugin is registered twice on this Fastify instance (or on it and an ancestor). ' +
        'Register it once, on the root instance, before the routes: every route of every child plugin ' +
        'then runs in its request scope. Remove the second fastify.register(epilogue, { app }).',
    );
  }
}
