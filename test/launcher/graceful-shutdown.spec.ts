import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { ServiceProcess } from '../../apps/cleave/src/launcher/service-process';
import { Api } from '../support/cleave-http';
import { EventStream } from '../support/event-stream';
import { eventually, openAccount, signUp } from '../http/customers';

const MAIN = fileURLToPath(new URL('../../dist/apps/cleave/src/main.js', import.meta.url));

/**
 * SIGTERM drains a process: readiness fails at once while it still serves (for CLEAVE_SHUTDOWN_DELAY_MS),
 * then open notification streams are ended with a last event saying why, and the process exits 0. An
 * open stream used to hold the HTTP server, and so the process, until its client left.
 */
describe('stopping with a notification stream open', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'cleave-stop-'));
  let bank: ServiceProcess | undefined;
  afterAll(async () => {
    await bank?.stop(2_000);
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('fails readiness, ends the stream with a shutdown event, and exits 0', async () => {
    bank = new ServiceProcess({
      label: 'bank',
      entry: MAIN,
      env: { CLEAVE_DATA_DIR: dataDir, PORT: '0', LOG_LEVEL: 'error', CLEAVE_SHUTDOWN_DELAY_MS: '1500', CLEAVE_PASSWORD_HASH_COST: '10' },
    });
    await bank.start(60_000);
    const { httpUrl, managementUrl } = bank.readyMessage!;
    const api = new Api(httpUrl!);
    const customer = await signUp(api);
    const account = await openAccount(api, customer);
    const stream = await EventStream.open(`${httpUrl}/notifications/stream?account_id=${account}`, customer.token);

    const exited = bank.waitForExit();
    process.kill(bank.pid!, 'SIGTERM');
    const readiness = await eventually(
      async () => {
        const reply = await fetch(`${managementUrl}/readyz`);
        return { status: reply.status, body: (await reply.json()) as { status: string } };
      },
      (r) => r.status === 503,
    );
    expect(readiness.body.status).toBe('shutting_down');
    // Still serving while load balancers take it out of rotation, and alive: an orchestrator must not kill it.
    expect((await fetch(`${httpUrl}/healthz`)).status).toBe(200);
    expect((await fetch(`${managementUrl}/healthz`)).status).toBe(200);

    await stream.ended;
    expect(stream.events.map((e) => e.event)).toEqual(['shutdown']);
    expect(JSON.parse(stream.events[0]!.data)).toEqual({ reason: 'server_shutting_down', retry_after_ms: 1000 });
    expect(await exited).toBe(0);
  });
});
