import { describe, expect, it } from 'vitest';
import { loadCleaveConfig } from './cleave-config';

describe('loadCleaveConfig', () => {
  it('has working defaults', () => {
    const config = loadCleaveConfig({});
    expect(config).toMatchObject({
      services: 'all',
      transport: 'auto',
      natsUrl: 'nats://127.0.0.1:4222',
      natsPrefix: 'cleave',
      defaultTimeoutMs: 5_000,
      dataDir: './data',
      runMigrations: true,
      contextDatabaseUrls: {},
    });
  });

  it('reads typed values', () => {
    const config = loadCleaveConfig({
      CLEAVE_SERVICES: 'ledger',
      CLEAVE_TRANSPORT: 'nats',
      CLEAVE_DEFAULT_TIMEOUT_MS: '2000',
      DATABASE_URL: 'postgres://u@db/cleave',
      CLEAVE_LEDGER_DATABASE_URL: 'postgresql://u@ledger-db/ledger',
      CLEAVE_MIGRATIONS: 'off',
    });
    expect(config.defaultTimeoutMs).toBe(2000);
    expect(config.databaseUrl).toBe('postgres://u@db/cleave');
    expect(config.contextDatabaseUrls).toEqual({ ledger: 'postgresql://u@ledger-db/ledger' });
    expect(config.runMigrations).toBe(false);
  });

  it('names every bad variable and why', () => {
    expect(() =>
      loadCleaveConfig({
        CLEAVE_TRANSPORT: 'carrier-pigeon',
        CLEAVE_DEFAULT_TIMEOUT_MS: 'soon',
        NATS_URL: 'http://nats',
        CLEAVE_NATS_PREFIX: 'has.dots',
        CLEAVE_LEDGER_DATABASE_URL: 'mysql://x',
      }),
    ).toThrow(
      expect.objectContaining({
        message: expect.stringMatching(
          /CLEAVE_TRANSPORT="carrier-pigeon": .*auto, nats, in-process[\s\S]*NATS_URL="http:\/\/nats"[\s\S]*CLEAVE_NATS_PREFIX[\s\S]*CLEAVE_DEFAULT_TIMEOUT_MS="soon": .*integer[\s\S]*CLEAVE_LEDGER_DATABASE_URL: must be a postgres/,
        ),
      }),
    );
  });
});
