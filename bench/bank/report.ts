import type { MachineDescription } from '../machine';
import type { LoadResult } from './load-generator';
import type { BurstOutcome, Startup } from './placements';
import type { ProcessUse } from './process-metrics';
import type { Workload } from './workload';

/** One phase: a placement under one workload, closed loop or at one rate, in one repetition. */
export interface Sample {
  readonly placement: string;
  readonly workload: Workload;
  readonly mode: 'closed' | 'open';
  /** Open loop: the offered rate; closed loop: the connections. */
  readonly load: number;
  readonly repetition: number;
  readonly result: Omit<LoadResult, 'approvals'>;
  /** CPU of each process from the phase's start until the work it left was done. */
  readonly processes: ProcessUse[];
  /** The PostgreSQL server's CPU over the same span, for placements on PostgreSQL. */
  readonly databaseCpuSeconds?: number | null;
  /** Messages through nats-server per answered request (in + out), where NATS is used. */
  readonly natsMessagesPerRequest: number | null;
  /** From an approval's answer to its notification on the account's open stream (top rate only). */
  readonly push?: PushLatency | null;
}

/** Push latency of one phase, ms. */
export interface PushLatency {
  readonly count: number;
  readonly p50: number;
  readonly p99: number;
  readonly max: number;
  /** Approved, answered, and never notified on the stream. */
  readonly missing: number;
}

/** What is measured once per placement and repetition, before the load phases. */
export interface PlacementRun {
  readonly placement: string;
  readonly repetition: number;
  readonly startup: Startup;
  /** Each process's resident memory, idle after seeding, and its private part (absent in older results). */
  readonly idleRss: ReadonlyArray<IdleMemory>;
  /** A ledger replica started on its own beside the running placement (split placements). */
  readonly replicaStartMs: number | null;
  readonly burst: BurstOutcome;
}

/** Matches approvals (transaction id, answered at) with notifications (transaction id → arrived at). */
export function pushLatency(approvals: ReadonlyArray<readonly [string, number]>, arrivals: ReadonlyMap<string, number>): PushLatency {
  const delays: number[] = [];
  let missing = 0;
  for (const [id, answeredAt] of approvals) {
    const arrived = arrivals.get(id);
    if (arrived === undefined) missing++;
    else delays.push(Math.max(0, arrived - answeredAt));
  }
  delays.sort((a, b) => a - b);
  const at = (q: number) => (delays.length === 0 ? NaN : delays[Math.min(delays.length - 1, Math.ceil(q * delays.length) - 1)]!);
  return { count: delays.length, p50: at(0.5), p99: at(0.99), max: delays.length ? delays[delays.length - 1]! : NaN, missing };
}

/** Medians over the repetitions of one phase. */
export interface Row {
  readonly placement: string;
  readonly workload: Workload;
  readonly mode: 'closed' | 'open';
  readonly load: number;
  readonly throughput: number;
  readonly p50: number;
  readonly p90: number;
  readonly p99: number;
  readonly max: number;
  readonly declineRate: number;
  readonly errorRate: number;
  /** Cleave's (or the floor's) processes, ms of CPU per answered request; nats-server and the database apart. */
  readonly cpuMsPerRequest: number;
  readonly natsCpuMsPerRequest: number;
  readonly databaseCpuMsPerRequest: number | null;
  readonly processes: Array<{ name: string; cpuSeconds: number; cpuMsPerRequest: number; peakRssMiB: number }>;
  readonly natsMessagesPerRequest: number | null;
  readonly push: PushLatency | null;
}

/** A process's resident memory, and the part of it no other process shares. */
export interface IdleMemory {
  readonly name: string;
  readonly rssMiB: number;
  readonly privateMiB?: number;
}

/** Medians over the repetitions of what is measured once per placement. */
export interface PlacementSummary {
  readonly placement: string;
  readonly wholeStartMs: number;
  readonly slowestProcessStartMs: number;
  readonly replicaStartMs: number | null;
  readonly idleRss: IdleMemory[];
  readonly burst: { sent: number; approved: number; declines: Record<string, number>; errors: number };
}

export interface BankBenchResults {
  readonly kind: 'bank';
  readonly startedAt: string;
  readonly finishedAt: string;
  readonly machine: MachineDescription;
  readonly settings: {
    repetitions: number;
    durationMs: number;
    warmupMs: number;
    connections: number;
    customers: number;
    authRates: number[];
    mixRates: number[];
    burst?: number;
  };
  readonly placements: Array<{ id: string; description: string }>;
  readonly samples: Sample[];
  readonly placementRuns?: PlacementRun[];
  readonly rows: Row[];
}

export const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length === 0 ? NaN : sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};

const NATS = 'nats-server';
/** Requests answered in the whole phase, warm-up included (older results: the measured ones). */
const answered = (s: Sample) => Math.max(1, s.result.answered ?? s.result.requests);

/** Medians over the repetitions of start-up and footprint; the worst repetition of the contention burst. */
export function summarisePlacements(runs: readonly PlacementRun[]): PlacementSummary[] {
  return [...new Set(runs.map((r) => r.placement))].map((placement) => {
    const mine = runs.filter((r) => r.placement === placement);
    const names = mine[0]!.idleRss.map((r) => r.name);
    const replicas = mine.map((r) => r.replicaStartMs).filter((n): n is number => n !== null);
    return {
      placement,
      wholeStartMs: median(mine.map((r) => r.startup.wholeMs)),
      slowestProcessStartMs: median(mine.map((r) => Math.max(...r.startup.processes.map((p) => p.readyMs)))),
      replicaStartMs: replicas.length ? median(replicas) : null,
      idleRss: names.map((name) => {
        const of = mine.map((r) => r.idleRss.find((x) => x.name === name));
        const privates = of.map((x) => x?.privateMiB).filter((n): n is number => n !== undefined);
        return {
          name,
          rssMiB: median(of.map((x) => x?.rssMiB ?? 0)),
          ...(privates.length ? { privateMiB: median(privates) } : {}),
        };
      }),
      // The worst repetition, whole: one burst that declines for lack of time is a failure, whatever the
      // others did, and its approvals and declines add up to what was sent.
      burst: mine
        .map((r) => r.burst)
        .reduce((worst, b) => (b.approved < worst.approved || (b.approved === worst.approved && b.errors > worst.errors) ? b : worst)),
    };
  });
}

export function summarise(samples: Sample[]): Row[] {
  const keys = [...new Set(samples.map((s) => `${s.placement}|${s.workload}|${s.mode}|${s.load}`))];
  return keys.map((key) => {
    const mine = samples.filter((s) => `${s.placement}|${s.workload}|${s.mode}|${s.load}` === key);
    const m = (f: (s: Sample) => number) => median(mine.map(f));
    const names = mine[0]!.processes.map((p) => p.name);
    const nats = mine.map((s) => s.natsMessagesPerRequest).filter((n): n is number => n !== null);
    const pushes = mine.map((s) => s.push).filter((p): p is PushLatency => !!p);
    return {
      placement: mine[0]!.placement,
      workload: mine[0]!.workload,
      mode: mine[0]!.mode,
      load: mine[0]!.load,
      throughput: m((s) => s.result.throughput),
      p50: m((s) => s.result.latency.p50),
      p90: m((s) => s.result.latency.p90),
      p99: m((s) => s.result.latency.p99),
      max: m((s) => s.result.latency.max),
      declineRate: m((s) => s.result.declined / Math.max(1, s.result.requests)),
      errorRate: m((s) => s.result.errors / Math.max(1, s.result.requests + s.result.errors)),
      cpuMsPerRequest: m(
        (s) => (s.processes.filter((p) => p.name !== NATS).reduce((sum, p) => sum + p.cpuSeconds, 0) / answered(s)) * 1_000,
      ),
      natsCpuMsPerRequest: m((s) => ((s.processes.find((p) => p.name === NATS)?.cpuSeconds ?? 0) / answered(s)) * 1_000),
      databaseCpuMsPerRequest: mine.some((s) => typeof s.databaseCpuSeconds === 'number')
        ? m((s) => ((s.databaseCpuSeconds ?? 0) / answered(s)) * 1_000)
        : null,
      processes: names.map((name) => ({
        name,
        cpuSeconds: m((s) => s.processes.find((p) => p.name === name)?.cpuSeconds ?? 0),
        cpuMsPerRequest: m((s) => ((s.processes.find((p) => p.name === name)?.cpuSeconds ?? 0) / answered(s)) * 1_000),
        peakRssMiB: m((s) => s.processes.find((p) => p.name === name)?.peakRssMiB ?? 0),
      })),
      push: pushes.length
        ? {
            count: median(pushes.map((p) => p.count)),
            p50: median(pushes.map((p) => p.p50)),
            p99: median(pushes.map((p) => p.p99)),
            max: median(pushes.map((p) => p.max)),
            missing: median(pushes.map((p) => p.missing)),
          }
        : null,
      natsMessagesPerRequest: nats.length ? median(nats) : null,
    };
  });
}

const f0 = (n: number) => (Number.isFinite(n) ? Math.round(n).toLocaleString('en-GB') : '—');
const f1 = (n: number) => (Number.isFinite(n) ? n.toFixed(1) : '—');
const f2 = (n: number) => (Number.isFinite(n) ? n.toFixed(2) : '—');
const pct = (n: number) => (Number.isFinite(n) ? `${(n * 100).toFixed(1)}%` : '—');

/**
 * Each process's idle RSS with its own pages, and for several processes what they hold together: every
 * process's own pages plus the largest shared part once (the shared pages are mostly the same node binary).
 */
export function idleMemory(processes: readonly IdleMemory[]): string {
  const each = processes.map((x) => `${x.name} ${f0(x.rssMiB)}${x.privateMiB === undefined ? '' : ` (${f0(x.privateMiB)})`}`).join(', ');
  if (processes.length < 2 || processes.some((x) => x.privateMiB === undefined)) return each;
  const own = processes.reduce((sum, x) => sum + x.privateMiB!, 0);
  const shared = Math.max(...processes.map((x) => x.rssMiB - x.privateMiB!));
  return `${each}; together ≈ ${f0(own + shared)}`;
}

type Target = { target: string; measured: string; met: boolean | null };

/**
 * The targets Cleave holds itself to, checked against this run: CPU per authorisation, throughput as
 * ratios to the floors, p99 and push latency at the top rate, contention, start-up and footprint. Only
 * the placements this run measured are checked.
 */
export function targets(rows: Row[], topRate: number, placements: readonly PlacementSummary[] = []): Target[] {
  const closed = (p: string) => rows.find((r) => r.placement === p && r.workload === 'auth' && r.mode === 'closed');
  const at = (p: string) => rows.find((r) => r.placement === p && r.workload === 'auth' && r.mode === 'open' && r.load === topRate);
  const out: Target[] = [];
  for (const [placement, limit] of [
    ['monolith-sqlite', 0.8],
    ['monolith-postgres', 1.2],
    ['split-postgres', 2.5],
  ] as const) {
    const row = closed(placement);
    if (row)
      out.push({
        target: `${placement}: CPU per authorisation ≤ ${limit} ms (all its processes; NATS and the database apart)`,
        measured: `${f2(row.cpuMsPerRequest)} ms`,
        met: row.cpuMsPerRequest <= limit,
      });
  }
  const ratio = (placement: string, base: string, least: number) => {
    const [a, b] = [closed(placement), closed(base)];
    if (a && b)
      out.push({
        target: `${placement} throughput ≥ ${least}× ${base}`,
        measured: `${f2(a.throughput / b.throughput)}× (${f0(a.throughput)} vs ${f0(b.throughput)} req/s)`,
        met: a.throughput / b.throughput >= least,
      });
  };
  ratio('monolith-sqlite', 'floor', 0.25);
  ratio('monolith-sqlite', 'floor-equal-work', 0.6);
  ratio('split-postgres', 'monolith-postgres', 0.5);
  for (const [placement, limit] of [
    ['monolith-sqlite', 10],
    ['monolith-postgres', 25],
    ['split-postgres', 50],
  ] as const) {
    const row = at(placement);
    if (row)
      out.push({
        target: `${placement}: p99 at ${topRate} authorisations/s < ${limit} ms, no errors`,
        measured: `${f1(row.p99)} ms (errors ${pct(row.errorRate)})`,
        met: row.p99 < limit && row.errorRate < 0.001,
      });
  }
  for (const placement of ['monolith-sqlite', 'monolith-postgres', 'split-postgres']) {
    const push = at(placement)?.push;
    if (push)
      out.push({
        target: `${placement}: push latency p99 at ${topRate}/s < 250 ms, none missing`,
        measured: `${f1(push.p99)} ms (${f0(push.count)} notified, ${f0(push.missing)} missing)`,
        met: push.p99 < 250 && push.missing === 0,
      });
  }
  for (const p of placements.filter((x) => !x.placement.startsWith('floor'))) {
    const declined = Object.values(p.burst.declines).reduce((a, b) => a + b, 0);
    out.push({
      target: `${p.placement}: ${p.burst.sent} affordable authorisations at once on one balance, none declined`,
      measured:
        declined + p.burst.errors === 0
          ? `${f0(p.burst.approved)} approved`
          : `${declined} declined ${JSON.stringify(p.burst.declines)}, ${p.burst.errors} errors`,
      met: declined + p.burst.errors === 0,
    });
  }
  for (const p of placements.filter((x) => x.placement.startsWith('split'))) {
    out.push({
      target: `${p.placement}: whole split ready within 10 s`,
      measured: `${f1(p.wholeStartMs / 1000)} s`,
      met: p.wholeStartMs <= 10_000,
    });
    if (p.replicaStartMs !== null)
      out.push({
        target: `${p.placement}: a process ready within 2 s of its start, on its own`,
        measured: `${f1(p.replicaStartMs / 1000)} s (a ledger replica)`,
        met: p.replicaStartMs <= 2_000,
      });
  }
  const cleave = placements
    .filter((x) => !x.placement.startsWith('floor'))
    .flatMap((p) => p.idleRss.map((r) => ({ ...r, placement: p.placement })));
  if (cleave.length) {
    const worst = cleave.reduce((a, b) => (b.rssMiB > a.rssMiB ? b : a));
    out.push({
      target: 'idle RSS per process ≤ 100 MiB',
      measured: `largest ${f0(worst.rssMiB)} MiB (${worst.placement} ${worst.name})`,
      met: worst.rssMiB <= 100,
    });
  }
  return out;
}

export function renderReport(r: BankBenchResults): string {
  const lines: string[] = [];
  const m = r.machine;
  const topRate = Math.max(...r.settings.authRates);
  const placements = summarisePlacements(r.placementRuns ?? []);
  lines.push(`# Bank benchmark, ${r.startedAt}`, '');
  lines.push(`Machine: ${m.cpus} × ${m.cpuModel}, ${m.memoryGiB} GiB, ${m.os}, Node ${m.node}, ${m.natsServer}.`);
  if (m.nodeMismatch) lines.push('', `**Note: ${m.nodeMismatch}.**`);
  lines.push(
    `Settings: ${r.settings.repetitions} interleaved repetitions; phases of ${r.settings.durationMs / 1000} s after ${r.settings.warmupMs / 1000} s warm-up; closed loop with ${r.settings.connections} connections; open loop at ${r.settings.authRates.join(', ')} authorisations/s and ${r.settings.mixRates.join(', ')} mixed requests/s; ${r.settings.customers} seeded customers. Figures are medians over the repetitions; latency in ms, open loop measured from each request's scheduled time. CPU is per request answered in the phase (warm-up included), counted from the phase's start until the work it left (events, follow-ups) was done; the load generator is not counted.`,
    '',
  );
  lines.push('| placement | what |', '| --- | --- |', ...r.placements.map((p) => `| ${p.id} | ${p.description} |`), '');
  lines.push('## Targets', '', '| target | measured | |', '| --- | --- | --- |');
  for (const t of targets(r.rows, topRate, placements))
    lines.push(`| ${t.target} | ${t.measured} | ${t.met === null ? '' : t.met ? 'met' : '**missed**'} |`);
  lines.push('');
  const floor = r.rows.find((x) => x.placement === 'floor' && x.workload === 'auth' && x.mode === 'closed');
  const equalWork = r.rows.find((x) => x.placement === 'floor-equal-work' && x.workload === 'auth' && x.mode === 'closed');
  const dbCell = (row: Row) => (row.databaseCpuMsPerRequest === null ? '—' : f2(row.databaseCpuMsPerRequest));
  for (const workload of ['auth', 'mix'] as const) {
    const mono = r.rows.find((x) => x.placement === 'monolith-sqlite' && x.workload === workload && x.mode === 'closed');
    lines.push(
      workload === 'auth'
        ? '## Card authorisations (10% on empty cards: declined)'
        : '## The mix (authorisations, declines, presentments, reversals, balance and transaction reads, transfers)',
      '',
    );
    lines.push('### Maximum throughput (closed loop)', '');
    lines.push(
      '| placement | req/s | × monolith | × floor | × equal-work floor | p50 | p90 | p99 | max | declined | errors | CPU ms / req | NATS CPU ms / req | database CPU ms / req | NATS msgs / req |',
      '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
    );
    for (const row of r.rows.filter((x) => x.workload === workload && x.mode === 'closed')) {
      const vs = (base: Row | undefined) => (base && workload === 'auth' ? f2(row.throughput / base.throughput) : '—');
      lines.push(
        `| ${row.placement} | ${f0(row.throughput)} | ${mono ? f2(row.throughput / mono.throughput) : '—'} | ${vs(floor)} | ${vs(equalWork)} | ${f1(row.p50)} | ${f1(row.p90)} | ${f1(row.p99)} | ${f1(row.max)} | ${pct(row.declineRate)} | ${pct(row.errorRate)} | ${f2(row.cpuMsPerRequest)} | ${f2(row.natsCpuMsPerRequest)} | ${dbCell(row)} | ${row.natsMessagesPerRequest === null ? '—' : f1(row.natsMessagesPerRequest)} |`,
      );
    }
    lines.push('', '### Latency at fixed rates (open loop)', '');
    lines.push(
      '| placement | offered req/s | answered req/s | p50 | p90 | p99 | max | declined | errors | CPU ms / req | push p50 | push p99 | push max | not notified |',
      '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
    );
    for (const row of r.rows.filter((x) => x.workload === workload && x.mode === 'open')) {
      const push = row.push ? `${f1(row.push.p50)} | ${f1(row.push.p99)} | ${f1(row.push.max)} | ${f0(row.push.missing)}` : '— | — | — | —';
      lines.push(
        `| ${row.placement} | ${f0(row.load)} | ${f0(row.throughput)} | ${f1(row.p50)} | ${f1(row.p90)} | ${f1(row.p99)} | ${f1(row.max)} | ${pct(row.declineRate)} | ${pct(row.errorRate)} | ${f2(row.cpuMsPerRequest)} | ${push} |`,
      );
    }
    lines.push('');
  }
  lines.push('## Processes (closed-loop authorisations: CPU per request, peak RSS)', '');
  lines.push('| placement | process | CPU s | CPU ms / req | peak RSS MiB |', '| --- | --- | ---: | ---: | ---: |');
  for (const row of r.rows.filter((x) => x.workload === 'auth' && x.mode === 'closed')) {
    for (const p of row.processes)
      lines.push(`| ${row.placement} | ${p.name} | ${f1(p.cpuSeconds)} | ${f2(p.cpuMsPerRequest)} | ${f0(p.peakRssMiB)} |`);
    if (row.databaseCpuMsPerRequest !== null)
      lines.push(`| ${row.placement} | postgresql (server) | — | ${f2(row.databaseCpuMsPerRequest)} | — |`);
  }
  if (placements.length) {
    lines.push('', `## Start-up, footprint and contention`, '');
    lines.push(
      `| placement | ready (all processes at once) | slowest process | a ledger replica on its own | idle RSS MiB, per process (its own pages) | ${r.settings.burst ?? 150} at once on one balance |`,
      '| --- | ---: | ---: | ---: | --- | --- |',
    );
    for (const p of placements) {
      const declined = Object.entries(p.burst.declines).map(([reason, n]) => `${n} ${reason}`);
      lines.push(
        `| ${p.placement} | ${f1(p.wholeStartMs / 1000)} s | ${f1(p.slowestProcessStartMs / 1000)} s | ${p.replicaStartMs === null ? '—' : `${f1(p.replicaStartMs / 1000)} s`} | ${idleMemory(p.idleRss)} | ${f0(p.burst.approved)} approved${declined.length ? `, ${declined.join(', ')}` : ''}${p.burst.errors ? `, ${p.burst.errors} errors` : ''} |`,
      );
    }
    if (placements.some((p) => p.idleRss.some((x) => x.privateMiB !== undefined)))
      lines.push(
        '',
        "In brackets, a process's own pages: RSS also counts pages shared with other processes (mostly the node binary's code, ~60 MiB in every Node process), which the machine holds once. *Together*: every process's own pages, plus the shared ones once.",
      );
  }
  lines.push('', '![p99 latency against offered rate](latency.svg)', '', '![maximum throughput](throughput.svg)', '');
  return lines.join('\n');
}

const PALETTE = ['#444444', '#1f77b4', '#ff7f0e', '#2ca02c', '#d62728', '#9467bd', '#8c564b'];
const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;');

/** p99 against offered rate, one line per placement (authorisations, open loop). */
export function latencyChart(rows: Row[]): string {
  const open = rows.filter((r) => r.workload === 'auth' && r.mode === 'open');
  const placements = [...new Set(open.map((r) => r.placement))];
  const rates = [...new Set(open.map((r) => r.load))].sort((a, b) => a - b);
  const W = 720,
    H = 400,
    L = 70,
    R = 200,
    T = 40,
    B = 50;
  // Log scale: the floor's milliseconds and a saturated placement's seconds on one chart.
  const decades = Math.max(1, Math.ceil(Math.log10(Math.max(10, ...open.map((r) => r.p99)))));
  const x = (rate: number) => L + ((rates.indexOf(rate) + 0.5) / rates.length) * (W - L - R);
  const y = (ms: number) => H - B - (Math.log10(Math.max(1, ms)) / decades) * (H - T - B);
  const parts = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" font-family="sans-serif" font-size="12">`,
    `<text x="${L}" y="22" font-size="14">p99 latency (ms, log scale) against offered authorisations/s, open loop</text>`,
  ];
  parts.push(
    `<line x1="${L}" y1="${H - B}" x2="${W - R}" y2="${H - B}" stroke="#999"/><line x1="${L}" y1="${T}" x2="${L}" y2="${H - B}" stroke="#999"/>`,
  );
  for (let d = 0; d <= decades; d++) {
    const v = 10 ** d;
    parts.push(
      `<text x="${L - 8}" y="${y(v) + 4}" text-anchor="end">${v.toLocaleString('en-GB')}</text><line x1="${L}" y1="${y(v)}" x2="${W - R}" y2="${y(v)}" stroke="#eee"/>`,
    );
  }
  for (const rate of rates) parts.push(`<text x="${x(rate)}" y="${H - B + 18}" text-anchor="middle">${rate}/s</text>`);
  placements.forEach((p, i) => {
    const points = rates.map((rate) => open.find((r) => r.placement === p && r.load === rate)).filter((r): r is Row => !!r);
    const color = PALETTE[i % PALETTE.length];
    parts.push(
      `<polyline fill="none" stroke="${color}" stroke-width="2" points="${points.map((r) => `${x(r.load)},${y(r.p99)}`).join(' ')}"/>`,
    );
    for (const r of points) parts.push(`<circle cx="${x(r.load)}" cy="${y(r.p99)}" r="3" fill="${color}"/>`);
    parts.push(
      `<rect x="${W - R + 15}" y="${T + i * 20}" width="12" height="12" fill="${color}"/><text x="${W - R + 32}" y="${T + i * 20 + 10}">${esc(p)}</text>`,
    );
  });
  parts.push('</svg>');
  return parts.join('\n');
}

/** Maximum throughput per placement, for each workload (closed loop). */
export function throughputChart(rows: Row[]): string {
  const closed = rows.filter((r) => r.mode === 'closed');
  const placements = [...new Set(closed.map((r) => r.placement))];
  const W = 720,
    L = 170,
    R = 90,
    T = 40,
    bar = 14,
    gap = 10;
  const H = T + placements.length * (2 * bar + gap) + 30;
  const maxX = Math.max(1, ...closed.map((r) => r.throughput));
  const w = (v: number) => (v / maxX) * (W - L - R);
  const parts = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" font-family="sans-serif" font-size="12">`,
    `<text x="10" y="22" font-size="14">Maximum throughput, req/s (closed loop): authorisations, and the mix</text>`,
  ];
  placements.forEach((p, i) => {
    const top = T + i * (2 * bar + gap);
    parts.push(`<text x="${L - 8}" y="${top + bar + 4}" text-anchor="end">${esc(p)}</text>`);
    (['auth', 'mix'] as const).forEach((workload, j) => {
      const row = closed.find((r) => r.placement === p && r.workload === workload);
      if (!row) return;
      const color = workload === 'auth' ? '#1f77b4' : '#ff7f0e';
      parts.push(
        `<rect x="${L}" y="${top + j * bar}" width="${w(row.throughput)}" height="${bar - 2}" fill="${color}"/><text x="${L + w(row.throughput) + 5}" y="${top + j * bar + 10}">${Math.round(row.throughput)}</text>`,
      );
    });
  });
  parts.push(
    `<rect x="${L}" y="${H - 20}" width="12" height="12" fill="#1f77b4"/><text x="${L + 17}" y="${H - 10}">authorisations</text><rect x="${L + 130}" y="${H - 20}" width="12" height="12" fill="#ff7f0e"/><text x="${L + 147}" y="${H - 10}">mix</text>`,
  );
  parts.push('</svg>');
  return parts.join('\n');
}
