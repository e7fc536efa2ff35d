import 'reflect-metadata';
import type { ArgumentMetadata } from '@nestjs/common';
import { decoderFor } from '@cleave/platform';
import { describe, expect, it } from 'vitest';
import { AuthorisationBody, CardLimitsBody, PresentmentBody, RefundBody, ReversalBody } from '../src/dto/cards.dto';
import { GatewayValidationPipe, gatewayValidationPipe } from '../src/http/validation.pipe';

/** What the pipe gives for a value: the instance, or the refusal as it would be answered. */
async function outcome(transform: (value: unknown, metadata: ArgumentMetadata) => Promise<unknown>, value: unknown, dto: Function) {
  try {
    return { instance: await transform(value, { type: 'body', metatype: dto as new () => unknown, data: undefined }) };
  } catch (error) {
    return { refused: JSON.parse(JSON.stringify(error)) as unknown, message: (error as Error).message };
  }
}

const viaPipe = (value: unknown, metadata: ArgumentMetadata) => gatewayValidationPipe.transform(value, metadata);
// The same pipe without the compiled decoder: class-transformer and class-validator all the way.
const reference = new GatewayValidationPipe(false);
const viaClassValidator = (value: unknown, metadata: ArgumentMetadata) => reference.transform(value, metadata);

const merchant = { name: 'Brightbird Espresso', mcc: '5814', category: 'eating_out', city: 'London', country: 'GB' };
const samples: Array<[Function, Record<string, unknown>]> = [
  [
    AuthorisationBody,
    { card_token: 'cardtok_0000000000000000000000', amount: 450, currency: 'GBP', merchant, network_transaction_id: 'n-1' },
  ],
  [PresentmentBody, { presentment_id: 'p-1', network_transaction_id: 'n-1', amount: 450, currency: 'GBP', merchant }],
  [ReversalBody, { reversal_id: 'r-1', network_transaction_id: 'n-1', amount: 100 }],
  [RefundBody, { network_transaction_id: 'n-1', card_token: 'cardtok_0000000000000000000000', amount: 450, currency: 'GBP', merchant }],
  [CardLimitsBody, { per_day: 10 }],
];

/** A deterministic stream of small changes to a valid body: what a careless or hostile client sends. */
function* mutations(body: Record<string, unknown>, seed: number): Generator<unknown> {
  let state = seed;
  const random = () => (state = (state * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  const garbage = [null, '', ' ', '450', 4.5, -1, 2 ** 53, true, [], {}, [1], { $gt: 1 }, 'x'.repeat(200), 'GBP', '5814', '\u0000'];
  const keys = Object.keys(body);
  for (let i = 0; i < 150; i++) {
    const copy: Record<string, unknown> = structuredClone(body);
    const key = keys[Math.floor(random() * keys.length)]!;
    const pick = () => garbage[Math.floor(random() * garbage.length)];
    switch (Math.floor(random() * 5)) {
      case 0:
        delete copy[key];
        break;
      case 1:
        copy[key] = pick();
        break;
      case 2:
        copy[`extra_${i % 3}`] = pick();
        break;
      case 3:
        if (typeof copy.merchant === 'object' && copy.merchant !== null)
          (copy.merchant as Record<string, unknown>)[random() < 0.5 ? 'mcc' : 'evil'] = pick();
        else copy[key] = pick();
        break;
      default:
        yield pick();
        continue;
    }
    yield copy;
  }
}

describe("the gateway's validation pipe", () => {
  it('decodes the card network’s bodies with the compiled decoder', () => {
    for (const dto of [AuthorisationBody, PresentmentBody, ReversalBody, RefundBody] as Array<new () => object>)
      expect(decoderFor(dto).fast, dto.name).toBe(true);
  });

  it('gives exactly what class-validator gives, for valid bodies and for a few thousand broken ones', async () => {
    let accepted = 0;
    let refused = 0;
    for (const [i, [dto, body]] of samples.entries()) {
      for (const value of [body, ...mutations(body, i + 1)]) {
        const fast = await outcome(viaPipe, value, dto);
        const reference = await outcome(viaClassValidator, value, dto);
        expect(fast, JSON.stringify(value)).toStrictEqual(reference);
        if ('instance' in fast) {
          expect(fast.instance).toBeInstanceOf(dto);
          accepted++;
        } else refused++;
      }
    }
    // Both kinds were tried.
    expect(accepted).toBeGreaterThan(samples.length);
    expect(refused).toBeGreaterThan(100);
  });
});
