// `npm run bench:bus`: request/reply through every path, side by side in one run.
import { fork } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { NatsServerProcess, natsServerBinary } from '../../test/support/nats-server';
import { describeMachine } from '../machine';
import type { Measurement } from './caller';
import { PATHS, type BenchPath } from './paths';
import { renderReport, summarise, type BusBenchResults } from './report';

const { values } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    rounds: { type: 'string' },
    duration: { type: 'string' },
    warmup: { type: 'string' },
    paths: { type: 'string' },
    concurrency: { type: 'string', default: '1,64' },
    out: { type: 'string', default: fileURLToPath(new URL('../../../bench/results', import.meta.url)) },
  },
});
const rounds = Number(values.rounds ?? (values.quick ? 1 : 3));
const durationMs = Number(values.duration ?? (values.quick ? 1_000 : 4_000));
const warmupMs = Number(values.warmup ?? (values.quick ? 500 : 1_000));
const concurrencies = values.concurrency.split(',').map(Number);
const paths = values.paths ? PATHS.filter((p) => values.paths!.split(',').includes(p.id)) : [...PATHS];

const here = (file: string) => fileURLToPath(new URL(file, import.meta.url));
const prefix = `bench${randomBytes(4).toString('hex')}`;
const nats = await NatsServerProcess.start();
const env = { natsUrl: nats.url, prefix };
const childEnv = { ...process.env, LOG_LEVEL: 'silent' };

// One responder process per distinct responder, kept up for the whole run.
const responders = new Map<BenchPath['responder'], ReturnType<typeof fork>>();
async function startResponder(path: BenchPath): Promise<void> {
  if (!path.responder || responders.has(path.responder)) return;
  const child = fork(here('./responder.js'), [path.id, env.natsUrl, env.prefix], { env: childEnv, stdio: 'inherit' });
  responders.set(path.responder, child);
  await new Promise<void>((resolve, reject) => {
    child.once('message', () => resolve());
    child.once('exit', (code) => reject(new Error(`${path.id} responder exited with ${code}`)));
  });
}

function measure(path: BenchPath, concurrency: number): Promise<Measurement> {
  const child = fork(here('./caller.js'), [path.id, env.natsUrl, env.prefix, String(concurrency), String(durationMs), String(warmupMs)], {
    env: childEnv,
    stdio: 'inherit',
  });
  return new Promise((resolve, reject) => {
    child.once('message', (message: { result: Measurement }) => resolve(message.result));
    child.once('exit', (code) => reject(new Error(`${path.id} caller exited with ${code}`)));
  });
}

const fmt = (n: number) => Math.round(n).toLocaleString('en-GB');
const samples: BusBenchResults['samples'] = [];
const total = rounds * paths.length * concurrencies.length;
const startedAt = new Date();
try {
  for (const path of paths) await startResponder(path);
  process.stdout.write(
    `bench:bus: ${paths.length} paths × c=${concurrencies.join(',')} × ${rounds} rounds of ${durationMs} ms (+${warmupMs} ms warm-up), nats-server on ${nats.url}\n`,
  );
  for (let round = 0; round < rounds; round++) {
    // Rotate the order each round so no path always runs first or last.
    const order = paths.map((_, i) => paths[(i + round) % paths.length]!);
    for (const path of order) {
      for (const concurrency of concurrencies) {
        const result = await measure(path, concurrency);
        samples.push({ path: path.id, concurrency, round, ...result });
        process.stdout.write(
          `  [${samples.length}/${total}] round ${round + 1} ${path.id.padEnd(18)} c=${String(concurrency).padEnd(3)} ${fmt(result.opsPerSecond).padStart(10)} ops/s  p50 ${result.p50us.toFixed(1).padStart(7)} µs  p99 ${result.p99us.toFixed(1).padStart(8)} µs${result.errors ? `  ${result.errors} errors` : ''}\n`,
        );
      }
    }
  }
} finally {
  for (const child of responders.values()) child.kill('SIGTERM');
  await nats.dispose();
}

const results: BusBenchResults = {
  kind: 'bus',
  startedAt: startedAt.toISOString(),
  machine: describeMachine(natsServerBinary()),
  settings: { rounds, durationMs, warmupMs, concurrencies },
  paths: paths.map((p) => ({ id: p.id, label: p.label })),
  samples,
  summary: summarise(
    paths.map((p) => p.id),
    concurrencies,
    samples,
  ),
};
const dir = `${values.out}/${startedAt.toISOString().replaceAll(':', '-').slice(0, 19)}-bus`;
mkdirSync(dir, { recursive: true });
const report = renderReport(results);
writeFileSync(`${dir}/results.json`, `${JSON.stringify(results, null, 2)}\n`);
writeFileSync(`${dir}/report.md`, report);
process.stdout.write(`\n${report}\nwritten to ${dir}/\n`);
