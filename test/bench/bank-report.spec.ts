import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import {
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
} from '../../bench/bank/report';
import { RequestPlanner, type Seed } from '../../bench/bank/workload';
import { nodeMismatch } from '../../bench/machine';
import { fold, render } from '../../bench/profile/flamegraph';

const result = (throughput: number, p99: number, requests = 1_000, declined = 100, errors = 0) => ({
  throughput,
  requests,
  answered: requests * 1.5,
  declined,
  errors,
  latency: { p50: p99 / 4, p90: p99 / 2, p99, max: p99 * 2 },
  durationMs: 5_000,
});

const sample = (placement: string, mode: 'closed' | 'open', load: number, repetition: number, throughput: number, p99: number): Sample => ({
  placement,
  workload: 'auth',
  mode,
  load,
  repetition,
  result: result(throughput, p99),
  // 1 ms of CPU per request answered (1,500 of them, warm-up included), and 0.1 ms of nats-server's.
  processes: [
    { name: 'p', cpuSeconds: 1.5, peakRssMiB: 100 + repetition },
    { name: 'nats-server', cpuSeconds: 0.15, peakRssMiB: 12 },
  ],
  natsMessagesPerRequest: placement === 'split-postgres' ? 18 : null,
  push: mode === 'open' ? { count: 400, p50: 20, p99: [100, 300, 200][repetition]!, max: 400, missing: 0 } : null,
});

const run = (placement: string, repetition: number, issuerUnavailable: number): PlacementRun => ({
  placement,
  repetition,
  startup: { wholeMs: [9_000, 12_000, 11_000][repetition]!, processes: [{ name: 'ledger', readyMs: 3_000 }] },
  idleRss: [
    { name: 'ledger', rssMiB: [90, 95, 120][repetition]!, privateMiB: [30, 35, 40][repetition]! },
    { name: 'cards', rssMiB: 80, privateMiB: 30 },
  ],
  replicaStartMs: 1_500,
  burst: {
    sent: 150,
    approved: 150 - issuerUnavailable,
    declines: issuerUnavailable ? { issuer_unavailable: issuerUnavailable } : {},
    errors: 0,
  },
});

describe('the bank benchmark report', () => {
  const samples: Sample[] = [0, 1, 2].flatMap((rep) => [
    sample('floor', 'closed', 32, rep, [5_000, 5_200, 4_000][rep]!, 20),
    sample('monolith-sqlite', 'closed', 32, rep, [3_000, 2_400, 2_600][rep]!, 30),
    sample('monolith-sqlite', 'open', 500, rep, 500, [8, 12, 9][rep]!),
    sample('split-postgres', 'open', 500, rep, 500, [25, 40, 35][rep]!),
  ]);
  const rows = summarise(samples);

  it('reports medians over the repetitions, not means or the last run', () => {
    const mono = rows.find((r) => r.placement === 'monolith-sqlite' && r.mode === 'closed')!;
    expect(mono.throughput).toBe(2_600);
    expect(rows.find((r) => r.placement === 'monolith-sqlite' && r.mode === 'open')!.p99).toBe(9);
    expect(mono.processes[0]!.peakRssMiB).toBe(101);
    expect(mono.declineRate).toBeCloseTo(0.1);
  });

  it('counts CPU per request answered in the whole phase, with nats-server apart', () => {
    const mono = rows.find((r) => r.placement === 'monolith-sqlite' && r.mode === 'closed')!;
    expect(mono.cpuMsPerRequest).toBeCloseTo(1);
    expect(mono.natsCpuMsPerRequest).toBeCloseTo(0.1);
    expect(rows.find((r) => r.placement === 'split-postgres')!.push!.p99).toBe(200);
  });

  it('matches approvals with their notifications for push latency, counting those never notified', () => {
    const push = pushLatency(
      [
        ['tx_a', 1_000],
        ['tx_b', 1_010],
        ['tx_c', 1_020],
      ],
      new Map([
        ['tx_a', 1_040],
        ['tx_c', 1_030],
      ]),
    );
    expect(push).toEqual({ count: 2, p50: 10, p99: 40, max: 40, missing: 1 });
  });

  it('checks the targets against this run, ratios included', () => {
    const placements = summarisePlacements([0, 1, 2].map((rep) => run('split-postgres', rep, rep === 1 ? 3 : 0)));
    const checked = targets(rows, 500, placements);
    const verdict = (text: string) => checked.find((t) => t.target.includes(text));
    expect(verdict('monolith-sqlite: CPU')).toMatchObject({ met: false, measured: '1.00 ms' });
    expect(verdict('monolith-sqlite throughput ≥ 0.25× floor')).toMatchObject({ met: true, measured: expect.stringContaining('0.52×') });
    expect(verdict('monolith-sqlite: p99 at 500')).toMatchObject({ met: true });
    expect(verdict('split-postgres: p99 at 500')).toMatchObject({ met: true });
    expect(verdict('split-postgres: push latency')).toMatchObject({ met: true });
    // One burst of three that declined is a miss; the median start-up (11 s) and the worst idle RSS too.
    expect(verdict('at once on one balance')).toMatchObject({ met: false, measured: expect.stringContaining('3 declined') });
    expect(verdict('whole split ready')).toMatchObject({ met: false, measured: '11.0 s' });
    expect(verdict('on its own')).toMatchObject({ met: true });
    expect(verdict('idle RSS')).toMatchObject({ met: true, measured: expect.stringContaining('95 MiB') });
  });

  it('renders a report and charts naming every placement', () => {
    const report: BankBenchResults = {
      kind: 'bank',
      startedAt: '2026-11-22T00:00:00.000Z',
      finishedAt: '2026-11-22T00:20:00.000Z',
      machine: { cpus: 2, cpuModel: 'test', memoryGiB: 4, os: 'linux', node: 'v20', natsServer: 'v2.9' },
      settings: { repetitions: 3, durationMs: 5_000, warmupMs: 1_000, connections: 32, customers: 100, authRates: [500], mixRates: [100] },
      placements: [{ id: 'floor', description: 'floor' }],
      samples,
      placementRuns: [0, 1, 2].map((rep) => run('split-postgres', rep, 0)),
      rows,
    };
    const markdown = renderReport(report);
    expect(markdown).toContain('| monolith-sqlite | 2,600 | 1.00 | 0.52 | — |');
    // Each process's own pages in brackets; together, every process's own pages and the shared ones once.
    expect(markdown).toContain(
      '| split-postgres | 11.0 s | 3.0 s | 1.5 s | ledger 95 (35), cards 80 (30); together ≈ 125 | 150 approved |',
    );
    expect(markdown).toContain("In brackets, a process's own pages");
    // Results from before private pages were measured still render, with RSS alone.
    const older = [0, 1, 2].map((rep) => {
      const measured = run('split-postgres', rep, 0);
      return { ...measured, idleRss: measured.idleRss.map(({ name, rssMiB }) => ({ name, rssMiB })) };
    });
    const olderMarkdown = renderReport({ ...report, placementRuns: older });
    expect(olderMarkdown).toContain('| ledger 95, cards 80 | 150 approved |');
    expect(olderMarkdown).not.toContain('In brackets');
    expect(markdown).toContain('**missed**');
    // A burst is shown as its worst repetition was: approvals and declines that add up to the 150 sent.
    const declinedOnce = renderReport({ ...report, placementRuns: [0, 1, 2].map((rep) => run('split-postgres', rep, rep === 1 ? 3 : 0)) });
    expect(declinedOnce).toContain('| 147 approved, 3 issuer_unavailable |');
    // Figures from a Node other than the image's say so up front.
    expect(markdown).not.toContain('**Note:');
    const shipped = readFileSync(new URL('../../.nvmrc', import.meta.url), 'utf8').trim();
    expect(nodeMismatch(`v${shipped}.3.1`)).toBeUndefined();
    expect(nodeMismatch('v20.20.2')).toContain(`run on Node v20.20.2, not the Node ${shipped} the image ships`);
    const otherNode = renderReport({ ...report, machine: { ...report.machine, nodeMismatch: 'run on Node v20, not the Node 24' } });
    expect(otherNode).toContain('**Note: run on Node v20, not the Node 24.**');
    const svg = latencyChart(rows);
    expect(svg.match(/<polyline/g)).toHaveLength(2);
    expect(throughputChart(rows)).toContain('monolith-sqlite');
  });
});

describe('the workload', () => {
  const seed: Seed = {
    customers: Array.from({ length: 5 }, (_, i) => ({ token: `t${i}`, account: `acc_${i}`, cardToken: `card_${i}` })),
    emptyCards: ['empty_0'],
  };

  it('keeps to the mix, and only clears or reverses authorisations that were approved', () => {
    const planner = new RequestPlanner(seed, 'mix');
    const kinds = new Map<string, number>();
    const cleared = new Set<string>();
    const approved = new Set<string>();
    for (let i = 0; i < 20_000; i++) {
      const request = planner.next();
      kinds.set(request.kind, (kinds.get(request.kind) ?? 0) + 1);
      if (request.kind === 'presentment' || request.kind === 'reversal') {
        const ntx = JSON.parse(request.body!).network_transaction_id as string;
        expect(approved.has(ntx)).toBe(true);
        expect(cleared.has(ntx)).toBe(false);
        cleared.add(ntx);
      }
      if (request.kind === 'transfer')
        expect(JSON.parse(request.body!).source_account_id).not.toBe(JSON.parse(request.body!).destination_account_id);
      const body = request.kind === 'authorisation' ? '{"approved":true}' : '{"approved":false}';
      if (planner.answered(request, 200, body) === 'ok' && request.kind === 'authorisation') approved.add(request.networkTransactionId!);
    }
    const share = (kind: string) => (kinds.get(kind) ?? 0) / 20_000;
    expect(share('authorisation')).toBeGreaterThan(0.5);
    expect(share('balance')).toBeCloseTo(0.12, 1);
    expect(share('decline')).toBeCloseTo(0.08, 1);
  });
});

describe('the flame graph', () => {
  // main → a (3 samples) and main → b (1 sample), and idle time, which is left out.
  const frame = (id: number, functionName: string, url: string, children: number[] = []) => ({
    id,
    callFrame: { functionName, url, lineNumber: 1 },
    children,
  });
  const profile = {
    nodes: [
      frame(1, '(root)', '', [2, 5]),
      frame(2, 'main', 'file:///x/dist/libs/cards/src/a.js', [3, 4]),
      frame(3, 'a', 'file:///x/node_modules/typeorm/q.js'),
      frame(4, 'b', 'node:internal/x'),
      frame(5, '(idle)', ''),
    ],
    startTime: 0,
    endTime: 6_000_000,
    samples: [3, 3, 3, 4, 5, 5],
    timeDeltas: [1_000_000, 1_000_000, 1_000_000, 1_000_000, 1_000_000, 1_000_000],
  };

  it('weighs frames by time, without idle, and names where their code lives', () => {
    const root = fold(profile);
    expect(root.total).toBe(4_000_000);
    const main = root.children.get('main src/a.js')!;
    expect(main.group).toBe('cleave:cards');
    expect(main.children.get('a typeorm/q.js')!.total).toBe(3_000_000);
    expect(main.children.get('a typeorm/q.js')!.group).toBe('typeorm');
    // The last two seconds hold one sample of b, and idle.
    expect(fold(profile, 2.5).total).toBe(1_000_000);
    const svg = render(root, 'test');
    expect(svg).toContain('width="900.00"');
    expect(svg).toContain('<title>b node:internal/x [node] 25.0%</title>');
  });
});
