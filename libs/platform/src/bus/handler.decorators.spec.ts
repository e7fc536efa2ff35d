import 'reflect-metadata';
import { Controller, Module } from '@nestjs/common';
import { describe, expect, it } from 'vitest';
import { assignEventHandlers, OnEvent } from './handler.decorators';

const extrasOf = (method: unknown): unknown => Reflect.getMetadata('microservices:pattern_extras', method as object);

describe('event handlers belong to the context whose module holds them', () => {
  it("names each handler's context from the module, through the modules it imports", () => {
    @Controller()
    class Spending {
      @OnEvent('ledger.transaction-created.v1')
      created(_event: unknown): void {}
      @OnEvent('identity.token-revoked.v1', { delivery: 'every-replica' })
      revoked(_event: unknown): void {}
    }
    @Module({ controllers: [Spending] })
    class SpendingModule {}
    @Module({ imports: [{ module: SpendingModule }] })
    class FeedModule {}

    assignEventHandlers([['feed', FeedModule]]);

    expect(extrasOf(Spending.prototype.created)).toEqual({ context: 'feed' });
    expect(extrasOf(Spending.prototype.revoked)).toEqual({ delivery: 'every-replica', context: 'feed' });
  });

  it('refuses a controller two contexts both declare', () => {
    @Controller()
    class Shared {
      @OnEvent('ledger.transaction-created.v1')
      created(_event: unknown): void {}
    }
    @Module({ controllers: [Shared] })
    class One {}
    @Module({ controllers: [Shared] })
    class Two {}

    expect(() =>
      assignEventHandlers([
        ['feed', One],
        ['webhooks', Two],
      ]),
    ).toThrow('Shared is a controller of both feed and webhooks');
  });
});
