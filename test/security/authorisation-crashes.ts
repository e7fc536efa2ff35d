import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ServiceProcess } from '../../apps/cleave/src/launcher/service-process';
import { Api, startBank, type Layout, type RunningBank, type Storage } from '../support/cleave-http';
import { balanceOf, eventually, fundedCard, NETWORK_SECRET } from '../http/customers';

const FUNDS = 10_000;
const AMOUNT = 1_234;
const BUDGET_MS = 1_500;

/** Where an authorisation is cut short: the processes that die, each at its point. */
interface CrashCase {
  readonly name: string;
  /** Contexts of the process (`cards`, `gateway`, or `all` in one process) → the point it dies at. */
  readonly crashes: Readonly<Record<string, string>>;
  /** Faults that bring the flow to the point (e.g. cards answering too late, so the gateway abandons). */
  readonly faults?: { readonly on: string; readonly value: string };
  /** Settings the crashed processes come back with (e.g. slow to apply an event), by contexts. */
  readonly comeBackWith?: Readonly<Record<string, Record<string, string>>>;
}

/**
 * Kills cards or the gateway at each step of an authorisation and checks, once everything is back and the
 * network has retried the same `network_transaction_id` until it got an answer, that the money agrees with
 * what the network was told: approved means held, declined means nothing held. A crash of any process at
 * any point never leaves money held for a payment the network was told was declined.
 */
export function authorisationCrashSuite(layout: Layout, storage: Storage, cases: readonly CrashCase[]): void {
  describe(`an authorisation cut short by a crash, ${layout} on ${storage}`, () => {
    let bank: RunningBank;

    beforeAll(async () => {
      bank = await startBank(layout, storage, { CLEAVE_AUTHORISATION_BUDGET_MS: String(BUDGET_MS), CLEAVE_CARD_FOLLOWUP_MS: '200' });
    }, 120_000);
    afterAll(async () => {
      await bank?.stop();
    });

    const processOf = (contexts: string): ServiceProcess => {
      const hosting = bank.layout === 'monolith' ? bank.hosting('all') : bank.hosting(contexts);
      expect(hosting).toHaveLength(1);
      return hosting[0]!;
    };

    async function authorise(cardToken: string, ntx: string, merchant: string): Promise<{ approved: boolean } | 'no answer'> {
      try {
        const reply = await new Api(bank.url).post(
          '/network/authorisations',
          {
            card_token: cardToken,
            amount: AMOUNT,
            currency: 'GBP',
            network_transaction_id: ntx,
            merchant: { name: merchant, mcc: '5814' },
          },
          { headers: { authorization: `Bearer ${NETWORK_SECRET}` } },
        );
        return reply.status === 200 ? (reply.body as { approved: boolean }) : 'no answer';
      } catch {
        return 'no answer';
      }
    }

    it.each(cases.map((c) => [c.name, c] as const))('%s', async (_name, crash) => {
      const card = await fundedCard(new Api(bank.url), FUNDS);
      const ntx = `ntx-crash-${randomBytes(6).toString('hex')}`;
      const merchant = `Crash ${randomBytes(3).toString('hex')}`;
      const settingsOf = (contexts: string) => ({
        ...(crash.crashes[contexts] ? { CLEAVE_CRASH_AT: crash.crashes[contexts] } : {}),
        ...(crash.faults?.on === contexts ? { CLEAVE_FAULTS: crash.faults.value } : {}),
      });
      const involved = [...new Set([...Object.keys(crash.crashes), ...(crash.faults ? [crash.faults.on] : [])])];
      for (const contexts of involved) await bank.restart(processOf(contexts), settingsOf(contexts));

      const first = await authorise(card.cardToken, ntx, merchant);
      // Every crash point was reached: those processes are gone. Bring everything back as it normally runs.
      for (const contexts of Object.keys(crash.crashes)) {
        const exited = await Promise.race([
          processOf(contexts).waitForExit(),
          new Promise((r) => setTimeout(() => r('still running'), 15_000)),
        ]);
        expect(exited, `${contexts} should have died at ${crash.crashes[contexts]}`).not.toBe('still running');
      }
      for (const contexts of involved) {
        await bank.restart(processOf(contexts), {
          CLEAVE_CRASH_AT: undefined,
          CLEAVE_FAULTS: undefined,
          ...crash.comeBackWith?.[contexts],
        });
      }

      // The network retries the same payment until it hears an answer.
      const final = await eventually(
        () => authorise(card.cardToken, ntx, merchant),
        (answer) => answer !== 'no answer',
        30_000,
      );
      if (first !== 'no answer') expect(final).toMatchObject({ approved: first.approved });
      const approved = (final as { approved: boolean }).approved;

      // Settled: approved shows one pending payment holding the amount; declined holds nothing, and the
      // decline (or the released hold) shows once its follow-up is done.
      const customer = card.customer;
      const settled = await eventually(
        async () => {
          const transactions = (await new Api(bank.url).get(`/transactions?account_id=${card.account}`, { token: customer.token })).body
            .transactions as Array<{
            description: string;
            status: string;
            amount: number;
          }>;
          const mine = transactions.filter((t) => t.description === merchant);
          return { mine, available: (await balanceOf(new Api(bank.url), customer, card.account)).balance as number };
        },
        ({ mine, available }) =>
          approved
            ? available === FUNDS - AMOUNT && mine.length === 1 && mine[0]!.status === 'pending'
            : available === FUNDS && mine.length >= 1 && mine.every((t) => t.status === 'reversed' || t.status === 'declined'),
        20_000,
      );
      expect(settled.available).toBe(approved ? FUNDS - AMOUNT : FUNDS);
    });
  });
}
