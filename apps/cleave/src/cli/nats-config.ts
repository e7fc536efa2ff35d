// `npm run nats:config`: writes (or checks) the NATS users and permissions of a split deployment.
import { readFileSync, writeFileSync } from 'node:fs';
import { passwordVariable } from '@cleave/platform';
import { cleaveNatsAuthorization, roleFor, splitRoles } from '../nats-authorization';
import { commandLine, failCommand } from './command-line';

const USAGE = `Usage: npm run nats:config -- [options]

Writes nats-server's authorization block for Cleave: one user per service role, each allowed to publish
and subscribe only to what its contracts declare. Include it from your nats-server configuration.

Options:
  --out FILE          where to write it (default deploy/nats/cleave-auth.conf; - for stdout)
  --prefix P          the deployment's CLEAVE_NATS_PREFIX (default cleave)
  --role a,b,c        also a user for a process hosting these contexts together (a hybrid); repeatable
  --check             don't write: fail if FILE differs from what would be written
  -h, --help          this text`;

const fail: (message: string) => never = (message) => failCommand('nats:config', message);
const values = commandLine('nats:config', USAGE, {
  out: { type: 'string', default: 'deploy/nats/cleave-auth.conf' },
  prefix: { type: 'string', default: 'cleave' },
  role: { type: 'string', multiple: true, default: [] },
  check: { type: 'boolean', default: false },
});
if (!/^[A-Za-z0-9_-]{1,64}$/.test(values.prefix)) fail('--prefix takes what CLEAVE_NATS_PREFIX does: 1-64 letters, digits, - or _');
const roles = [...splitRoles(), ...values.role.map((r) => roleFor(r.split(',').map((c) => c.trim())))];
const config = cleaveNatsAuthorization(values.prefix, roles);
if (values.check) {
  let current = '';
  try {
    current = readFileSync(values.out, 'utf8');
  } catch {
    fail(`${values.out} is missing: run npm run nats:config`);
  }
  if (current !== config) fail(`${values.out} does not match the contracts: run npm run nats:config and commit the result`);
  process.stdout.write(`nats:config: ${values.out} matches the contracts\n`);
} else if (values.out === '-') {
  process.stdout.write(config);
} else {
  writeFileSync(values.out, config);
  const variables = [...roles.map((r) => r.name), 'observer'].map(passwordVariable);
  process.stdout.write(`nats:config: wrote ${values.out}; nats-server reads each user's password from ${variables.join(', ')}\n`);
}
