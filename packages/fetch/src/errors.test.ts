import * as fetchAdapter from '@epilogue/fetch';
import { expectErrorRegistry } from '@epilogue-internal/test-support/error-registry';

describe('errors', () => {
  it('every exported error extends EpilogueError with a stable E_ code, one code per condition', () => {
    expectErrorRegistry(fetchAdapter, {
      E_INVALID_RESPONSE: [fetchAdapter.InvalidResponseError.forValue(42)],
    });
  });
});
