import * as nodeHttp from '@epilogue/node-http';
import { expectErrorRegistry } from '@epilogue-internal/test-support/error-registry';

describe('errors', () => {
  it('every exported error extends EpilogueError with a stable E_ code, one code per condition', () => {
    expectErrorRegistry(nodeHttp, {
      E_LISTEN_FAILED: [nodeHttp.ListenError.at('127.0.0.1:3000', new Error('EADDRINUSE'))],
    });
  });
});
