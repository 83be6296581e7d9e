import { EpilogueError } from '@epilogue/core';
import { expectErrorRegistry } from './error-registry.js';

class OrderMissingError extends EpilogueError {
  static withId(id: string): OrderMissingError {
    return new OrderMissingError('E_ORDER_MISSING', `No order ${id}; check the id.`);
  }
}

class OrderClosedError extends EpilogueError {
  static withId(id: string): OrderClosedError {
    return new OrderClosedError('E_ORDER_MISSING', `Order ${id} is closed; open a new one.`);
  }
}

describe('expectErrorRegistry', () => {
  it('passes a registry whose codes are all listed', () => {
    expect(() =>
      expectErrorRegistry({ OrderMissingError, unrelated: () => 1 }, { E_ORDER_MISSING: [OrderMissingError.withId('1')] }),
    ).not.toThrow();
  });

  it('fails when a code was renamed', () => {
    expect(() => expectErrorRegistry({ OrderMissingError }, { E_ORDER_NOT_FOUND: [OrderMissingError.withId('1')] })).toThrow(
      /E_ORDER_NOT_FOUND/,
    );
  });

  it('fails when two error classes share a code', () => {
    expect(() =>
      expectErrorRegistry(
        { OrderMissingError, OrderClosedError },
        { E_ORDER_MISSING: [OrderMissingError.withId('1'), OrderClosedError.withId('1')] },
      ),
    ).toThrow(/OrderClosedError/);
  });

  it('fails when an exported error is not listed', () => {
    expect(() =>
      expectErrorRegistry({ OrderMissingError, OrderClosedError }, { E_ORDER_MISSING: [OrderMissingError.withId('1')] }),
    ).toThrow(/OrderClosedError/);
  });
});
