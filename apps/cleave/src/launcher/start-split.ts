// `npm run start:split`: the split topology as local processes against a local nats-server.
import { setTimeout as sleep } from 'node:timers/promises';
import { createPublicKey } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { connect } from '@nats-io/transport-node';
import { contextOf, passwordVariable } from '@cleave/platform/naming';
import { commandLine, failCommand } from '../cli/command-line';
import { cleaveDeployment } from '../deployment';
import { formatLine } from './log-format';
import { ServiceProcess } from './service-process';

const USAGE = `Usage: npm run start:split -- [options]

Starts one Cleave process per context, all talking over NATS, and stops them all on Ctrl-C.

Options:
  --services a,b      contexts to start (default: all of ${Object.keys(cleaveDeployment.contexts).join(', ')})
  --replicas ctx=N    start N processes of a context; repeatable (e.g. --replicas ledger=2)
  --raw               print each process's JSON log lines as they are
  -h, --help          this text

Environment: NATS_URL (default nats://127.0.0.1:4222), and everything a Cleave process reads
(DATABASE_URL, CLEAVE_DATA_DIR, LOG_LEVEL, ...), passed to every process. Each process opens its
management port (/healthz, /readyz, /metrics) on a free port, or on CLEAVE_MANAGEMENT_PORT plus its
position when that is set (off: none); the summary lists them. Against a nats-server
configured from deploy/nats, set the same CLEAVE_NATS_PASSWORD_<SERVICE> variables it reads: each
process then connects as its own user. CLEAVE_PRINCIPAL_PRIVATE_KEY goes to the gateway alone.`;

const fail: (message: string) => never = (message) => failCommand('start:split', message);
const values = commandLine('start:split', USAGE, {
  services: { type: 'string' },
  replicas: { type: 'string', multiple: true, default: [] },
  raw: { type: 'boolean', default: false },
});

const known = Object.keys(cleaveDeployment.contexts);
const services = values.services
  ? values.services
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean)
  : known;
for (const s of services) if (!known.includes(s)) fail(`unknown context '${s}' in --services (known: ${known.join(', ')})`);
const replicas = new Map(services.map((s) => [s, 1]));
for (const spec of values.replicas) {
  const match = /^([a-z]+)=([1-9][0-9]?)$/.exec(spec);
  if (!match) fail(`--replicas takes context=N, e.g. ledger=2; got '${spec}'`);
  if (!replicas.has(match[1]!)) fail(`--replicas names '${match[1]}', which is not started (services: ${services.join(', ')})`);
  replicas.set(match[1]!, Number(match[2]));
}

const natsUrl = process.env.NATS_URL ?? 'nats://127.0.0.1:4222';
try {
  const gatewayPassword = process.env[passwordVariable('gateway')];
  const nc = await connect({
    servers: natsUrl.split(','),
    timeout: 3_000,
    ...(gatewayPassword === undefined
      ? { user: process.env.NATS_USER, pass: process.env.NATS_PASSWORD }
      : { user: 'gateway', pass: gatewayPassword }),
  });
  await nc.close();
} catch (error) {
  fail(
    `cannot reach NATS at ${natsUrl} (NATS_URL): ${(error as Error).message}\n  start one with: nats-server -js   (or: docker compose up -d nats)`,
  );
}
if (!process.env.DATABASE_URL && [...replicas.values()].some((n) => n > 1)) {
  process.stderr.write(
    'start:split: warning: replicas share one SQLite file per context; use DATABASE_URL (PostgreSQL) for real concurrency.\n',
  );
}

/**
 * A child's environment: the launcher's, with each service's own NATS identity where the launcher has the
 * passwords nats-server reads (`CLEAVE_NATS_PASSWORD_<ROLE>`, see deploy/nats), and the principal private
 * key for the gateway only; the others get its public key.
 */
function childEnvironment(service: string): NodeJS.ProcessEnv {
  const { CLEAVE_PRINCIPAL_PRIVATE_KEY: privateKey, CLEAVE_PRINCIPAL_PRIVATE_KEY_FILE: privateKeyFile, ...env } = process.env;
  // No service sees another's NATS password: each gets its own, as NATS_PASSWORD.
  for (const name of Object.keys(env)) if (name.startsWith('CLEAVE_NATS_PASSWORD_')) delete env[name];
  const password = process.env[passwordVariable(service)];
  if (password !== undefined) Object.assign(env, { NATS_USER: service, NATS_PASSWORD: password });
  if (privateKey !== undefined || privateKeyFile !== undefined) {
    const pem = privateKey ?? readFileSync(privateKeyFile!, 'utf8');
    if (service === 'gateway') env.CLEAVE_PRINCIPAL_PRIVATE_KEY = pem;
    env.CLEAVE_PRINCIPAL_PUBLIC_KEY ??= createPublicKey(pem).export({ type: 'spki', format: 'pem' }) as string;
  }
  return env;
}

/**
 * The contexts in the order they stop: each after every context that calls it (the gateway first, the
 * ledger late), from the contracts' declared dependencies.
 */
function stopOrder(contexts: readonly string[]): string[] {
  const callers = new Map(contexts.map((c) => [c, new Set<string>()]));
  for (const caller of contexts) {
    const calls = cleaveDeployment.contracts.dependencies[caller]?.calls ?? [];
    for (const pattern of calls) callers.get(contextOf(pattern))?.add(caller);
  }
  const order: string[] = [];
  while (order.length < contexts.length) {
    const next = contexts.filter((c) => !order.includes(c) && [...callers.get(c)!].every((caller) => order.includes(caller)));
    // A cycle would leave some with callers still running: stop them together rather than never.
    order.push(...(next.length > 0 ? next : contexts.filter((c) => !order.includes(c))));
  }
  return order;
}

/** The n-th process's management port: consecutive from CLEAVE_MANAGEMENT_PORT when set, else any free one. */
function managementPort(n: number): string {
  const base = process.env.CLEAVE_MANAGEMENT_PORT;
  if (base === 'off') return 'off';
  return base !== undefined && /^[1-9]\d*$/.test(base) ? String(Number(base) + n) : '0';
}

const entry = fileURLToPath(new URL('../main.js', import.meta.url));
const colours = [36, 35, 33, 32, 34, 31, 96, 95, 93, 92];
const width = Math.max(...[...replicas].map(([s, n]) => `${s}-${n}`.length));
const processes: ServiceProcess[] = [];
for (const [service, count] of replicas) {
  for (let i = 1; i <= count; i++) {
    const label = count > 1 ? `${service}-${i}` : service;
    const colour = colours[processes.length % colours.length]!;
    const prefix = process.stdout.isTTY ? `\x1b[${colour}m${label.padEnd(width)}\x1b[0m │` : `${label.padEnd(width)} │`;
    processes.push(
      new ServiceProcess(
        {
          label,
          entry,
          ownProcessGroup: true,
          // Exactly this environment, not the launcher's: it holds secrets meant for one child only.
          inheritEnvironment: false,
          env: {
            ...childEnvironment(service),
            NATS_URL: natsUrl,
            CLEAVE_SERVICES: service,
            CLEAVE_INSTANCE_ID: label,
            CLEAVE_MANAGEMENT_PORT: managementPort(processes.length),
          },
        },
        (_label, line, stream) =>
          (stream === 'stderr' ? process.stderr : process.stdout).write(`${prefix} ${values.raw ? line : formatLine(line)}\n`),
      ),
    );
  }
}

let stopping = false;
async function stopAll(code: number): Promise<never> {
  if (!stopping) {
    stopping = true;
    process.stdout.write(`start:split: stopping ${processes.length} processes, callers first: ${stopOrder(services).join(', ')}\n`);
    // A caller drains while what it calls still answers, so nothing in flight is cut off.
    for (const context of stopOrder(services))
      await Promise.all(processes.filter((p) => p.spec.env.CLEAVE_SERVICES === context).map((p) => p.stop()));
  }
  process.exit(code);
}
process.on('SIGINT', () => {
  if (stopping) for (const p of processes) void p.kill();
  else void stopAll(0);
});
process.on('SIGTERM', () => void stopAll(0));

try {
  await Promise.all(processes.map((p) => p.start(60_000)));
} catch (error) {
  process.stderr.write(`start:split: ${(error as Error).message}\n`);
  await stopAll(1);
}
// Ready means every process's readiness holds (its database migrated, NATS and its consumers up) and the
// API answers with every context behind it, not only that each process has started.
const readinessUrls = [
  ...processes.flatMap((p) => (p.readyMessage?.managementUrl ? [`${p.readyMessage.managementUrl}/readyz`] : [])),
  ...processes.flatMap((p) => (p.readyMessage?.httpUrl ? [`${p.readyMessage.httpUrl}/readyz`] : [])),
];
const readyBy = Date.now() + 20_000;
for (const url of readinessUrls) {
  for (;;) {
    const reply = await fetch(url)
      .then(async (r) => (r.ok ? '' : `HTTP ${r.status}: ${await r.text()}`))
      .catch((e: Error) => e.message);
    if (reply === '') break;
    if (Date.now() > readyBy) {
      process.stderr.write(`start:split: warning: ${url} is not ready yet (${reply.slice(0, 500)}); starting anyway\n`);
      break;
    }
    await sleep(200);
  }
}
// Let the processes' last start-up lines print before the summary.
await sleep(100);
process.stdout.write(
  `start:split: ${processes.length} processes ready over ${natsUrl} (${processes.map((p) => p.spec.label).join(', ')}); Ctrl-C stops them all\n`,
);
for (const p of processes) {
  if (p.readyMessage?.managementUrl)
    process.stdout.write(`start:split:   ${p.spec.label.padEnd(width)} health and metrics on ${p.readyMessage.managementUrl}\n`);
}
for (const p of processes) {
  void p.waitForExit().then((code) => {
    if (stopping) return;
    process.stderr.write(`start:split: ${p.spec.label} exited unexpectedly (${code}); stopping the rest\n`);
    void stopAll(1);
  });
}
