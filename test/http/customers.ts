import { randomBytes } from 'node:crypto';
import { expect } from 'vitest';
import type { Api } from '../support/cleave-http';

export const CLIENT_ID = 'oauth2client_00009cleaveQuickStart0';
export const NETWORK_SECRET = 'cleave-development-network-secret';

export interface Customer {
  readonly userId: string;
  readonly email: string;
  readonly password: string;
  readonly token: string;
  readonly refreshToken: string;
}

let keys = 0;
/** A fresh idempotency key. */
export const key = (): string => `key-${process.pid}-${++keys}-${randomBytes(4).toString('hex')}`;

/** A customer signed up and logged in. */
export async function signUp(api: Api, name = 'Ada'): Promise<Customer> {
  const email = `${name.toLowerCase()}-${randomBytes(6).toString('hex')}@example.com`;
  const password = `pw-${randomBytes(8).toString('hex')}`;
  const user = await api.post('/users', { name, email, password });
  expect(user.status).toBe(201);
  const token = await api.post('/oauth2/token', { grant_type: 'password', client_id: CLIENT_ID, username: email, password });
  expect(token.status).toBe(200);
  return { userId: user.body.id, email, password, token: token.body.access_token, refreshToken: token.body.refresh_token };
}

export async function openAccount(api: Api, customer: Customer, currency = 'GBP'): Promise<string> {
  const account = await api.post('/accounts', { currency }, { token: customer.token });
  expect(account.status).toBe(201);
  return account.body.id;
}

export async function topUp(api: Api, customer: Customer, accountId: string, amount: number) {
  const reply = await api.post(`/accounts/${accountId}/top-ups`, { amount }, { token: customer.token, idempotencyKey: key() });
  expect(reply.status).toBe(201);
  return reply.body.transaction;
}

export async function balanceOf(api: Api, customer: Customer, accountId: string) {
  return (await api.get(`/balance?account_id=${accountId}`, { token: customer.token })).body;
}

/** Polls until a check passes (eventually-consistent effects: follow-ups, expiry), or fails with the last value. */
export async function eventually<T>(probe: () => Promise<T>, accept: (value: T) => boolean, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last = await probe();
  while (!accept(last) && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 100));
    last = await probe();
  }
  expect(accept(last), `condition not met within ${timeoutMs} ms; last value ${JSON.stringify(last)}`).toBe(true);
  return last;
}

/** A customer with an account holding `amount` (none for 0) and a card on it. */
export async function fundedCard(api: Api, amount: number): Promise<{ customer: Customer; account: string; cardToken: string }> {
  const customer = await signUp(api);
  const account = await openAccount(api, customer);
  if (amount > 0) await topUp(api, customer, account, amount);
  const card = await api.post('/cards', { account_id: account }, { token: customer.token });
  expect(card.status).toBe(201);
  return { customer, account, cardToken: card.body.token };
}
