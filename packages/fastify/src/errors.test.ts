import * as fastifyAdapter from '@epilogue/fastify';
import { expectErrorRegistry } from '@epilogue-internal/test-support/error-registry';

describe('errors', () => {
  it('every exported error extends EpilogueError with a stable E_ code, one code per condition', () => {
    expectErrorRegistry(fastifyAdapter, {
      E_FASTIFY_APP_REQUIRED: [fastifyAdapter.MissingApplicationError.inPluginOptions(undefined)],
      E_FASTIFY_REGISTERED_TWICE: [fastifyAdapter.PluginRegisteredTwiceError.onInstance()],
    });
  });
});
