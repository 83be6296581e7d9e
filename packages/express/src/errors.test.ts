import * as expressAdapter from '@epilogue/express';
import { expectErrorRegistry } from '@epilogue-internal/test-support/error-registry';

describe('errors', () => {
  it('every exported error extends EpilogueError with a stable E_ code, one code per condition', () => {
    expectErrorRegistry(expressAdapter, {
      E_EXPRESS_MOUNTED_AFTER_ROUTES: [expressAdapter.ExpressMountedAfterRoutesError.forRoute('POST', '/register')],
    });
  });
});
