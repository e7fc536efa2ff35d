import {
  ContractRegistry,
  natsRole,
  observerPermissions,
  renderAuthorization,
  rolePermissions,
  type NatsRole,
  type RolePermissions,
} from '@cleave/platform';
import { cleaveDeployment } from './deployment';

/** The context that makes the events stream (the ledger publishes most of what it carries); the rest wait for it. */
const STREAM_OWNERS = ['ledger'];

/** The roles of the split topology: a user per context, one for a whole bank serving over NATS, and an observer. */
export function splitRoles(): NatsRole[] {
  const contexts = Object.keys(cleaveDeployment.contexts);
  return [...contexts.map((c) => ({ name: c, contexts: [c] })), { name: 'all', contexts }];
}

/** A role for a process hosting several contexts, named as that process names itself on NATS. */
export function roleFor(contexts: readonly string[]): NatsRole {
  const known = Object.keys(cleaveDeployment.contexts);
  const hosted = known.filter((c) => contexts.includes(c));
  return { name: natsRole({ known, hosted: new Set(hosted), nats: true }), contexts: hosted };
}

/** nats-server's `authorization` block for Cleave's contracts, the given subject prefix and roles. */
export function cleaveNatsAuthorization(prefix: string, roles: readonly NatsRole[], extraUsers: readonly RolePermissions[] = []): string {
  const registry = new ContractRegistry(cleaveDeployment.contracts);
  const header = [
    '# Cleave: one NATS user per service role, each allowed only what its contracts say it does.',
    '# Generated from libs/contracts by `npm run nats:config`; do not edit (CI checks it matches).',
    `# Subject prefix: ${prefix}. Passwords come from nats-server's environment, one variable per user.`,
  ].join('\n');
  return renderAuthorization(
    [...roles.map((role) => rolePermissions(registry, prefix, role, STREAM_OWNERS)), observerPermissions(prefix), ...extraUsers],
    header,
  );
}
