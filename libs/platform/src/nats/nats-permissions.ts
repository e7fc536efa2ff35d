import type { ContractRegistry } from '../bus/contract-registry';
import { consumerFilter, eventStreamName, eventSubject, inboxPrefix, requestSubject } from './subjects';

/** A NATS user: a process role and the contexts it hosts. */
export interface NatsRole {
  /** The user name, and the role's inbox (`natsRole` of the placement that uses it). */
  readonly name: string;
  readonly contexts: readonly string[];
}

/** What one role may publish and subscribe to. */
export interface RolePermissions {
  readonly role: string;
  readonly publish: readonly string[];
  readonly subscribe: readonly string[];
  /** May answer the requests it receives (NATS's `allow_responses`), without publishing to inboxes at large. */
  readonly allowResponses: boolean;
}

/**
 * The subject permissions of one role, derived from the contracts: it subscribes to its own contexts'
 * request subjects (in their queue groups), its own inbox, the events its replicas observe and its own
 * JetStream consumers; it publishes only the patterns its contexts call, the events they publish, and
 * what JetStream needs for those. Only roles hosting one of `streamOwners` may make the events stream.
 * Everything else is denied by the server.
 */
export function rolePermissions(
  registry: ContractRegistry,
  prefix: string,
  role: NatsRole,
  streamOwners: readonly string[],
): RolePermissions {
  const stream = eventStreamName(prefix);
  const publish = new Set<string>();
  const subscribe = new Set<string>([`${inboxPrefix(prefix, role.name)}.>`]);
  let answers = false;
  let usesStream = false;
  for (const context of role.contexts) {
    const patterns = registry.patternsOf(context);
    if (patterns.length > 0) {
      answers = true;
      for (const pattern of patterns) subscribe.add(`${requestSubject(prefix, pattern)} ${context}`);
      // NATS micro-services discovery of this context.
      for (const verb of ['PING', 'INFO', 'STATS']) {
        subscribe.add(`$SRV.${verb}`);
        subscribe.add(`$SRV.${verb}.${context}`);
        subscribe.add(`$SRV.${verb}.${context}.*`);
      }
    }
    const dependencies = registry.dependenciesOf(context);
    for (const pattern of dependencies.calls) {
      if (!role.contexts.includes(registry.request(pattern)!.context)) publish.add(requestSubject(prefix, pattern));
    }
    for (const event of registry.eventsOf(context)) {
      publish.add(eventSubject(prefix, event));
      usesStream = true;
    }
    for (const event of dependencies.observes) subscribe.add(eventSubject(prefix, event));
    if (dependencies.consumes.length > 0) {
      usesStream = true;
      const api = '$JS.API.CONSUMER';
      // Made and updated only with its own filter in the subject, which the server holds the request's
      // filter to: with the unfiltered forms, a role could remake its consumer to read every event.
      for (const subject of [
        `${api}.INFO.${stream}.${context}`,
        `${api}.CREATE.${stream}.${context}.${consumerFilter(prefix, dependencies.consumes)}`,
        `${api}.MSG.NEXT.${stream}.${context}`,
        `$JS.ACK.${stream}.${context}.>`,
      ]) {
        publish.add(subject);
      }
    }
  }
  if (usesStream) for (const subject of ['$JS.API.INFO', `$JS.API.STREAM.INFO.${stream}`]) publish.add(subject);
  // Making the stream decides what it captures: only its owner may, lest a service make one that stores requests.
  if (role.contexts.some((c) => streamOwners.includes(c))) publish.add(`$JS.API.STREAM.CREATE.${stream}`);
  return { role: role.name, publish: [...publish].sort(), subscribe: [...subscribe].sort(), allowResponses: answers };
}

/** Read-only discovery for operators: `nats micro ls|info|stats` with its own inbox. */
export function observerPermissions(prefix: string): RolePermissions {
  return { role: 'observer', publish: ['$SRV.>'], subscribe: [`${inboxPrefix(prefix, 'observer')}.>`], allowResponses: false };
}

/** The environment variable a role's password is read from by nats-server (`$CLEAVE_NATS_PASSWORD_LEDGER`). */
export function passwordVariable(role: string): string {
  return `CLEAVE_NATS_PASSWORD_${role.toUpperCase().replace(/[^A-Z0-9]/g, '_')}`;
}

/**
 * A nats-server `authorization` block with a user per role. Passwords are not in it: each is read from an
 * environment variable of nats-server's (plain, or a bcrypt hash from `nats server passwd`).
 */
export function renderAuthorization(permissions: readonly RolePermissions[], header: string): string {
  const list = (items: readonly string[], indent: string) => items.map((s) => `${indent}  ${JSON.stringify(s)}`).join('\n');
  const users = permissions.map((p) => {
    const lines = [
      `    {`,
      `      user: ${JSON.stringify(p.role)}`,
      `      password: $${passwordVariable(p.role)}`,
      `      permissions: {`,
      `        publish: {`,
      `          allow: [`,
      list(p.publish, '          '),
      `          ]`,
      `        }`,
      `        subscribe: {`,
      `          allow: [`,
      list(p.subscribe, '          '),
      `          ]`,
      `        }`,
      ...(p.allowResponses ? [`        allow_responses: true`] : []),
      `      }`,
      `    }`,
    ];
    return lines.join('\n');
  });
  return `${header}\nauthorization {\n  users: [\n${users.join('\n')}\n  ]\n}\n`;
}
