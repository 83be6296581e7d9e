import * as bus from '@epilogue/bus';
import { expectErrorRegistry } from '@epilogue-internal/test-support/error-registry';

class SendInvoice {}

describe('errors', () => {
  it('every exported error extends EpilogueError with a stable E_ code, one code per condition', () => {
    expectErrorRegistry(bus, {
      E_HANDLER_NOT_FOUND: [bus.HandlerNotFoundError.forJob(new SendInvoice())],
      E_INVALID_JOB: [bus.InvalidJobError.forValue(42)],
      E_UNRESOLVABLE_PARAMETER: [
        bus.UnresolvableParameterError.at('SendInvoiceHandler', 'handle', 1, 'its type is an interface'),
        bus.UnresolvableParameterError.undeclared('SendInvoiceHandler', 'handle', 2),
      ],
      E_NO_DECORATOR_METADATA: [bus.UnresolvableParameterError.noMetadata('SendInvoiceHandler', 'handle', 2, true)],
      E_INVALID_HANDLER: [bus.InvalidHandlerError.forMapping('SendInvoice', 42)],
      E_INVALID_CHAIN: [
        bus.InvalidChainError.empty(),
        bus.InvalidChainError.notAList(42),
        bus.InvalidChainError.forCatch(42),
        bus.InvalidChainError.forClass('ReportFailure'),
      ],
      E_NOT_IN_CHAIN: [bus.NotInChainError.forJob('SendInvoice', 'appendToChain')],
      E_CHAIN_IN_BATCH: [bus.NotInChainError.inBatch('SendInvoice', 'appendToChain')],
      E_CHAIN_CATCH_NOT_QUEUEABLE: [bus.ChainCatchNotQueueableError.forFunction(() => undefined)],
      E_INVALID_BATCH: [
        bus.InvalidBatchError.notAList(42),
        bus.InvalidBatchError.entry(42, '[0]'),
        bus.InvalidBatchError.callback('then', SendInvoice),
        bus.InvalidBatchError.callback('then', 42),
        bus.InvalidBatchError.option('name', 'a string', 42),
        bus.InvalidBatchError.id(''),
      ],
      E_BATCH_NOT_FOUND: [bus.BatchNotFoundError.withId('b1')],
      E_BATCH_CALLBACK_NOT_QUEUEABLE: [
        bus.BatchCallbackNotQueueableError.forFunction('then', () => undefined),
        bus.BatchCallbackNotQueueableError.noCodec(),
      ],
      E_CHAINED_BATCH_CANCELLED: [bus.ChainedBatchCancelledError.forBatch('b1', 'import 42')],
    });
  });
});
