import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { passwordVariable } from '@cleave/platform';
import { describe, expect, it } from 'vitest';
import { cleaveNatsAuthorization, splitRoles } from '../../apps/cleave/src/nats-authorization';
import { natsServerBinary } from '../support/nats-server';

describe('deploy/nats', () => {
  it('holds the NATS users and permissions the contracts generate (run `npm run nats:config` after changing them)', () => {
    expect(readFileSync('deploy/nats/cleave-auth.conf', 'utf8')).toBe(cleaveNatsAuthorization('cleave', splitRoles()));
  });

  it('is a configuration nats-server accepts', () => {
    const passwords = Object.fromEntries(
      [...splitRoles().map((r) => r.name), 'observer'].map((role) => [passwordVariable(role), `pw${role}`]),
    );
    const check = spawnSync(natsServerBinary(), ['-t', '-c', 'deploy/nats/nats-server.conf'], {
      encoding: 'utf8',
      env: { ...process.env, ...passwords },
    });
    expect(`${check.stdout}${check.stderr}`).toMatch(/configuration file .* is valid/);
    expect(check.status).toBe(0);
  });
});
