// `npm run bench`: the same bank workload against each placement (and the floor), side by side in one run.
import { mkdirSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { NatsServerProcess, natsServerBinary } from '../../test/support/nats-server';
import { describeMachine, nodeMismatch } from '../machine';
import type { LoadResult, LoadSpec } from './load-generator';
import {
  contentionBurst,
  DEFAULT_PLACEMENTS,
  idleRss,
  PLACEMENTS,
  runLoad,
  seedBank,
  seedFloor,
  startPlacement,
  subscribeToNotifications,
  type RunningPlacement,
} from './placements';
import { postgresServerCpuSeconds, ProcessWatch, waitUntilQuiet } from './process-metrics';
import {
  idleMemory,
  latencyChart,
  pushLatency,
  renderReport,
  summarise,
  summarisePlacements,
  targets,
  throughputChart,
  type BankBenchResults,
  type PlacementRun,
  type Sample,
} from './report';
import type { Workload } from './workload';

const { values } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    repetitions: { type: 'string' },
    duration: { type: 'string' },
    warmup: { type: 'string' },
    burst: { type: 'string', default: '150' },
    connections: { type: 'string', default: '32' },
    customers: { type: 'string' },
    placements: { type: 'string' },
    'auth-rates': { type: 'string' },
    'mix-rates': { type: 'string' },
    out: { type: 'string', default: fileURLToPath(new URL('../../../bench/results', import.meta.url)) },
  },
});
const quick = values.quick;
const repetitions = Number(values.repetitions ?? (quick ? 1 : 3));
const durationMs = Number(values.duration ?? (quick ? 2 : 5)) * 1_000;
// Long enough for V8 to optimise the hot path and SQLite's page cache to fill: a cold process costs twice as much.
const warmupMs = Number(values.warmup ?? 3) * 1_000;
const burstSize = Number(values.burst);
const connections = Number(values.connections);
const customers = Number(values.customers ?? (quick ? 30 : 100));
const authRates = (values['auth-rates'] ?? (quick ? '100,500' : '100,250,500')).split(',').map(Number);
const mixRates = (values['mix-rates'] ?? '100').split(',').map(Number);
const wanted = (values.placements ?? DEFAULT_PLACEMENTS.join(',')).split(',');
const unknown = wanted.filter((id) => !PLACEMENTS.some((p) => p.id === id));
if (unknown.length) {
  console.error(`unknown placement ${unknown.join(', ')}; known: ${PLACEMENTS.map((p) => p.id).join(', ')}`);
  process.exit(2);
}
const specs = PLACEMENTS.filter((p) => wanted.includes(p.id));
const mismatch = nodeMismatch();
if (mismatch) console.warn(`warning: ${mismatch}`);

interface Phase {
  readonly workload: Workload;
  readonly mode: 'closed' | 'open';
  readonly load: number;
}
// Rates ascending and last: a rate the placement can't sustain leaves a backlog behind it.
const phasesOf = (floor: boolean): Phase[] => [
  { workload: 'auth', mode: 'closed', load: connections },
  ...(floor
    ? []
    : [
        { workload: 'mix' as const, mode: 'closed' as const, load: connections },
        ...mixRates.map((rate) => ({ workload: 'mix' as const, mode: 'open' as const, load: rate })),
      ]),
  ...authRates.map((rate) => ({ workload: 'auth' as const, mode: 'open' as const, load: rate })),
];
const totalPhases = repetitions * specs.reduce((n, s) => n + phasesOf(!!s.floor).length, 0);
const phaseSeconds = (durationMs + warmupMs) / 1_000 + 1;

const startedAt = new Date();
const clock = () => {
  const s = Math.round((Date.now() - startedAt.getTime()) / 1_000);
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}`;
};
const say = (line: string) => process.stdout.write(`[${clock()}] ${line}\n`);

const nats = await NatsServerProcess.start({ monitoring: true });
const samples: Sample[] = [];
const placementRuns: PlacementRun[] = [];
const topRate = Math.max(...authRates);
let current: RunningPlacement | undefined;
try {
  say(
    `bench: ${specs.map((s) => s.id).join(', ')}; ${repetitions} repetition(s), ${totalPhases} phases of ~${phaseSeconds} s (≈ ${Math.ceil((totalPhases * phaseSeconds) / 60)} min of load, plus start-up and seeding); nats-server on ${nats.url}`,
  );
  let done = 0;
  for (let repetition = 0; repetition < repetitions; repetition++) {
    // Each repetition starts with a different placement, so none always runs first or last. One placement
    // runs at a time, started afresh with fresh databases: nothing idle competes for the 2 cores or for
    // PostgreSQL's connections, and every repetition starts from the same state.
    const order = specs.map((_, i) => specs[(i + repetition) % specs.length]!);
    for (const spec of order) {
      const placement = (current = await startPlacement(spec, nats.url));
      const seed = spec.floor
        ? await seedFloor(placement.url, customers, Math.ceil(customers / 10))
        : await seedBank(placement.url, customers, Math.ceil(customers / 10));
      const pids = placement.processes.map((p) => p.pid);
      say(
        `rep ${repetition + 1}: ${spec.id} up in ${(placement.startup.wholeMs / 1000).toFixed(1)} s (${placement.processes.length} process${placement.processes.length > 1 ? 'es' : ''}), ${customers} customers seeded`,
      );
      await waitUntilQuiet(pids, quick ? 10_000 : 60_000);
      const rss = idleRss(placement.processes);
      // Scaling out: one more ledger replica, started on its own beside a running split.
      const replicaStartMs =
        placement.replicaStartMs && spec.groups.some((g) => g.length === 1 && g[0] === 'ledger')
          ? await placement.replicaStartMs('ledger')
          : null;
      const burst = await contentionBurst(placement.url, seed.customers[0]!.cardToken, burstSize);
      placementRuns.push({ placement: spec.id, repetition, startup: placement.startup, idleRss: rss, replicaStartMs, burst });
      say(
        `  ${burstSize} at once on one balance: ${burst.approved} approved, declined ${JSON.stringify(burst.declines)}, errors ${burst.errors}; idle RSS (own pages) ${idleMemory(rss)} MiB`,
      );
      for (const phase of phasesOf(!!spec.floor)) {
        const waited = await waitUntilQuiet(pids, quick ? 10_000 : 60_000);
        if (waited > 2_500) say(`  waited ${(waited / 1000).toFixed(0)} s for ${spec.id} to finish the work the last phase left`);
        const pushing = !spec.floor && phase.workload === 'auth' && phase.mode === 'open' && phase.load === topRate;
        const subscriber = pushing ? await subscribeToNotifications(placement.url, seed) : undefined;
        const load: LoadSpec = {
          url: placement.url,
          seed,
          workload: phase.workload,
          mode: phase.mode,
          rate: phase.mode === 'open' ? phase.load : undefined,
          connections: phase.mode === 'closed' ? phase.load : undefined,
          durationMs,
          warmupMs,
          recordApprovals: pushing,
        };
        const watch = new ProcessWatch([...placement.processes, ...(nats.pid ? [{ name: 'nats-server', pid: nats.pid }] : [])]);
        const databaseBefore = spec.storage === 'postgres' ? postgresServerCpuSeconds() : undefined;
        const natsBefore = await nats.messageCounts();
        const { result } = await runLoad<LoadResult>(load);
        // The work the phase left (events, follow-ups, a backlog) is the phase's: billed to it, not the next.
        await waitUntilQuiet(pids, quick ? 10_000 : 60_000);
        const natsAfter = await nats.messageCounts();
        const processes = watch.stop();
        const databaseCpuSeconds = databaseBefore === undefined ? null : postgresServerCpuSeconds() - databaseBefore;
        const usesNats = placement.processes.length > 1;
        const natsPerRequest =
          usesNats && result.answered > 0 ? (natsAfter.in - natsBefore.in + natsAfter.out - natsBefore.out) / result.answered : null;
        const push = subscriber ? pushLatency(result.approvals ?? [], (await subscriber.report()).arrivals) : null;
        const { approvals: _, ...kept } = result;
        samples.push({
          placement: spec.id,
          workload: phase.workload,
          mode: phase.mode,
          load: phase.load,
          repetition,
          result: kept,
          processes,
          databaseCpuSeconds,
          natsMessagesPerRequest: natsPerRequest,
          push,
        });
        done++;
        const what = phase.mode === 'closed' ? `closed c=${phase.load}` : `open ${phase.load}/s`;
        const cpu =
          (processes.filter((p) => p.name !== 'nats-server').reduce((sum, p) => sum + p.cpuSeconds, 0) / Math.max(1, result.answered)) *
          1_000;
        say(
          `[${done}/${totalPhases}] ${spec.id.padEnd(22)} ${phase.workload.padEnd(4)} ${what.padEnd(14)} ${Math.round(result.throughput).toString().padStart(6)} req/s  p50 ${result.latency.p50.toFixed(1).padStart(6)}  p99 ${result.latency.p99.toFixed(1).padStart(7)} ms  CPU ${cpu.toFixed(2)} ms/req  declined ${result.declined}  errors ${result.errors}${push ? `  push p99 ${push.p99.toFixed(0)} ms (${push.missing} missing)` : ''}  (~${Math.ceil(((totalPhases - done) * phaseSeconds) / 60)} min of load left)`,
        );
      }
      await placement.stop();
      current = undefined;
    }
  }
} finally {
  await current?.stop().catch(() => undefined);
  await nats.dispose();
}

const rows = summarise(samples);
const results: BankBenchResults = {
  kind: 'bank',
  startedAt: startedAt.toISOString(),
  finishedAt: new Date().toISOString(),
  machine: describeMachine(natsServerBinary()),
  settings: { repetitions, durationMs, warmupMs, connections, customers, authRates, mixRates, burst: burstSize },
  placements: specs.map((s) => ({ id: s.id, description: s.description })),
  samples,
  placementRuns,
  rows,
};
const dir = `${values.out}/${startedAt.toISOString().replace(/[:.]/g, '-')}-bank${quick ? '-quick' : ''}`;
mkdirSync(dir, { recursive: true });
writeFileSync(`${dir}/results.json`, JSON.stringify(results, null, 2));
writeFileSync(`${dir}/report.md`, renderReport(results));
writeFileSync(`${dir}/latency.svg`, latencyChart(rows));
writeFileSync(`${dir}/throughput.svg`, throughputChart(rows));
for (const t of targets(rows, Math.max(...authRates), summarisePlacements(placementRuns)))
  say(`target: ${t.target}: ${t.measured}${t.met === null ? '' : t.met ? ' — met' : ' — MISSED'}`);
say(`report: ${dir}/report.md`);
