import type { MachineDescription } from '../machine';
import type { LoadResult } from './load-generator';
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
  readonly result: LoadResult;
  readonly processes: ProcessUse[];
  /** Messages through nats-server per answered request (in + out), where NATS is used. */
  readonly natsMessagesPerRequest: number | null;
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
  readonly cpuSecondsPerThousand: number;
  readonly processes: Array<{ name: string; cpuSeconds: number; peakRssMiB: number }>;
  readonly natsMessagesPerRequest: number | null;
}

export interface BankBenchResults {
  readonly kind: 'bank';
  readonly startedAt: string;
  readonly finishedAt: string;
  readonly machine: MachineDescription;
  readonly settings: { repetitions: number; durationMs: number; warmupMs: number; connections: number; customers: number; authRates: number[]; mixRates: number[] };
  readonly placements: Array<{ id: string; description: string }>;
  readonly samples: Sample[];
  readonly rows: Row[];
}

export const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length === 0 ? NaN : sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};

export function summarise(samples: Sample[]): Row[] {
  const keys = [...new Set(samples.map((s) => `${s.placement}|${s.workload}|${s.mode}|${s.load}`))];
  return keys.map((key) => {
    const mine = samples.filter((s) => `${s.placement}|${s.workload}|${s.mode}|${s.load}` === key);
    const m = (f: (s: Sample) => number) => median(mine.map(f));
    const names = mine[0]!.processes.map((p) => p.name);
    const nats = mine.map((s) => s.natsMessagesPerRequest).filter((n): n is number => n !== null);
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
      cpuSecondsPerThousand: m((s) => (s.processes.reduce((sum, p) => sum + p.cpuSeconds, 0) / Math.max(1, s.result.requests)) * 1_000),
      processes: names.map((name) => ({
        name,
        cpuSeconds: m((s) => s.processes.find((p) => p.name === name)?.cpuSeconds ?? 0),
        peakRssMiB: m((s) => s.processes.find((p) => p.name === name)?.peakRssMiB ?? 0),
      })),
      natsMessagesPerRequest: nats.length ? median(nats) : null,
    };
  });
}

const f0 = (n: number) => (Number.isFinite(n) ? Math.round(n).toLocaleString('en-GB') : '—');
const f1 = (n: number) => (Number.isFinite(n) ? n.toFixed(1) : '—');
const f2 = (n: number) => (Number.isFinite(n) ? n.toFixed(2) : '—');
const pct = (n: number) => (Number.isFinite(n) ? `${(n * 100).toFixed(1)}%` : '—');

/** The targets the issue sets, checked against this run. */
export function targets(rows: Row[], topRate: number): Array<{ target: string; measured: string; met: boolean | null }> {
  const closed = (p: string) => rows.find((r) => r.placement === p && r.workload === 'auth' && r.mode === 'closed');
  const at = (p: string) => rows.find((r) => r.placement === p && r.workload === 'auth' && r.mode === 'open' && r.load === topRate);
  const floor = closed('floor');
  const mono = closed('monolith-sqlite');
  const out: Array<{ target: string; measured: string; met: boolean | null }> = [];
  if (floor && mono) {
    const ratio = mono.throughput / floor.throughput;
    out.push({ target: 'monolith authorisation throughput ≥ 50% of the floor', measured: `${pct(ratio)} (${f0(mono.throughput)} vs ${f0(floor.throughput)} req/s)`, met: ratio >= 0.5 });
  }
  const monoAt = at('monolith-sqlite');
  if (monoAt) out.push({ target: `monolith p99 at ${topRate} authorisations/s < 10 ms`, measured: `${f1(monoAt.p99)} ms (errors ${pct(monoAt.errorRate)})`, met: monoAt.p99 < 10 && monoAt.errorRate < 0.01 });
  const splitAt = at('split-postgres');
  if (splitAt) out.push({ target: `split p99 at ${topRate} authorisations/s < 30 ms`, measured: `${f1(splitAt.p99)} ms (errors ${pct(splitAt.errorRate)})`, met: splitAt.p99 < 30 && splitAt.errorRate < 0.01 });
  return out;
}

export function renderReport(r: BankBenchResults): string {
  const lines: string[] = [];
  const m = r.machine;
  const topRate = Math.max(...r.settings.authRates);
  lines.push(`# Bank benchmark, ${r.startedAt}`, '');
  lines.push(`Machine: ${m.cpus} × ${m.cpuModel}, ${m.memoryGiB} GiB, ${m.os}, Node ${m.node}, ${m.natsServer}.`);
  lines.push(
    `Settings: ${r.settings.repetitions} interleaved repetitions; phases of ${r.settings.durationMs / 1000} s after ${r.settings.warmupMs / 1000} s warm-up; closed loop with ${r.settings.connections} connections; open loop at ${r.settings.authRates.join(', ')} authorisations/s and ${r.settings.mixRates.join(', ')} mixed requests/s; ${r.settings.customers} seeded customers. Figures are medians over the repetitions; latency in ms, open loop measured from each request's scheduled time.`,
    '',
  );
  lines.push('| placement | what |', '| --- | --- |', ...r.placements.map((p) => `| ${p.id} | ${p.description} |`), '');
  lines.push('## Targets', '', '| target | measured | |', '| --- | --- | --- |');
  for (const t of targets(r.rows, topRate)) lines.push(`| ${t.target} | ${t.measured} | ${t.met === null ? '' : t.met ? 'met' : '**missed**'} |`);
  lines.push('');
  const floor = r.rows.find((x) => x.placement === 'floor' && x.workload === 'auth' && x.mode === 'closed');
  for (const workload of ['auth', 'mix'] as const) {
    const mono = r.rows.find((x) => x.placement === 'monolith-sqlite' && x.workload === workload && x.mode === 'closed');
    lines.push(workload === 'auth' ? '## Card authorisations (10% on empty cards: declined)' : '## The mix (authorisations, declines, presentments, reversals, balance and transaction reads, transfers)', '');
    lines.push('### Maximum throughput (closed loop)', '');
    lines.push('| placement | req/s | × monolith | × floor | p50 | p90 | p99 | max | declined | errors | CPU s / 1k req | NATS msgs / req |', '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
    for (const row of r.rows.filter((x) => x.workload === workload && x.mode === 'closed')) {
      lines.push(
        `| ${row.placement} | ${f0(row.throughput)} | ${mono ? f2(row.throughput / mono.throughput) : '—'} | ${floor && workload === 'auth' ? f2(row.throughput / floor.throughput) : '—'} | ${f1(row.p50)} | ${f1(row.p90)} | ${f1(row.p99)} | ${f1(row.max)} | ${pct(row.declineRate)} | ${pct(row.errorRate)} | ${f2(row.cpuSecondsPerThousand)} | ${row.natsMessagesPerRequest === null ? '—' : f1(row.natsMessagesPerRequest)} |`,
      );
    }
    lines.push('', '### Latency at fixed rates (open loop)', '');
    lines.push('| placement | offered req/s | answered req/s | p50 | p90 | p99 | max | declined | errors | CPU s / 1k req |', '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
    for (const row of r.rows.filter((x) => x.workload === workload && x.mode === 'open')) {
      lines.push(`| ${row.placement} | ${f0(row.load)} | ${f0(row.throughput)} | ${f1(row.p50)} | ${f1(row.p90)} | ${f1(row.p99)} | ${f1(row.max)} | ${pct(row.declineRate)} | ${pct(row.errorRate)} | ${f2(row.cpuSecondsPerThousand)} |`);
    }
    lines.push('');
  }
  lines.push('## Processes (closed-loop authorisations: CPU seconds in the phase, peak RSS)', '');
  lines.push('| placement | process | CPU s | peak RSS MiB |', '| --- | --- | ---: | ---: |');
  for (const row of r.rows.filter((x) => x.workload === 'auth' && x.mode === 'closed')) {
    for (const p of row.processes) lines.push(`| ${row.placement} | ${p.name} | ${f1(p.cpuSeconds)} | ${f0(p.peakRssMiB)} |`);
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
  const W = 720, H = 400, L = 70, R = 200, T = 40, B = 50;
  // Log scale: the floor's milliseconds and a saturated placement's seconds on one chart.
  const decades = Math.max(1, Math.ceil(Math.log10(Math.max(10, ...open.map((r) => r.p99)))));
  const x = (rate: number) => L + ((rates.indexOf(rate) + 0.5) / rates.length) * (W - L - R);
  const y = (ms: number) => H - B - (Math.log10(Math.max(1, ms)) / decades) * (H - T - B);
  const parts = [`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" font-family="sans-serif" font-size="12">`, `<text x="${L}" y="22" font-size="14">p99 latency (ms, log scale) against offered authorisations/s, open loop</text>`];
  parts.push(`<line x1="${L}" y1="${H - B}" x2="${W - R}" y2="${H - B}" stroke="#999"/><line x1="${L}" y1="${T}" x2="${L}" y2="${H - B}" stroke="#999"/>`);
  for (let d = 0; d <= decades; d++) {
    const v = 10 ** d;
    parts.push(`<text x="${L - 8}" y="${y(v) + 4}" text-anchor="end">${v.toLocaleString('en-GB')}</text><line x1="${L}" y1="${y(v)}" x2="${W - R}" y2="${y(v)}" stroke="#eee"/>`);
  }
  for (const rate of rates) parts.push(`<text x="${x(rate)}" y="${H - B + 18}" text-anchor="middle">${rate}/s</text>`);
  placements.forEach((p, i) => {
    const points = rates.map((rate) => open.find((r) => r.placement === p && r.load === rate)).filter((r): r is Row => !!r);
    const color = PALETTE[i % PALETTE.length];
    parts.push(`<polyline fill="none" stroke="${color}" stroke-width="2" points="${points.map((r) => `${x(r.load)},${y(r.p99)}`).join(' ')}"/>`);
    for (const r of points) parts.push(`<circle cx="${x(r.load)}" cy="${y(r.p99)}" r="3" fill="${color}"/>`);
    parts.push(`<rect x="${W - R + 15}" y="${T + i * 20}" width="12" height="12" fill="${color}"/><text x="${W - R + 32}" y="${T + i * 20 + 10}">${esc(p)}</text>`);
  });
  parts.push('</svg>');
  return parts.join('\n');
}

/** Maximum throughput per placement, for each workload (closed loop). */
export function throughputChart(rows: Row[]): string {
  const closed = rows.filter((r) => r.mode === 'closed');
  const placements = [...new Set(closed.map((r) => r.placement))];
  const W = 720, L = 170, R = 90, T = 40, bar = 14, gap = 10;
  const H = T + placements.length * (2 * bar + gap) + 30;
  const maxX = Math.max(1, ...closed.map((r) => r.throughput));
  const w = (v: number) => (v / maxX) * (W - L - R);
  const parts = [`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" font-family="sans-serif" font-size="12">`, `<text x="10" y="22" font-size="14">Maximum throughput, req/s (closed loop): authorisations, and the mix</text>`];
  placements.forEach((p, i) => {
    const top = T + i * (2 * bar + gap);
    parts.push(`<text x="${L - 8}" y="${top + bar + 4}" text-anchor="end">${esc(p)}</text>`);
    (['auth', 'mix'] as const).forEach((workload, j) => {
      const row = closed.find((r) => r.placement === p && r.workload === workload);
      if (!row) return;
      const color = workload === 'auth' ? '#1f77b4' : '#ff7f0e';
      parts.push(`<rect x="${L}" y="${top + j * bar}" width="${w(row.throughput)}" height="${bar - 2}" fill="${color}"/><text x="${L + w(row.throughput) + 5}" y="${top + j * bar + 10}">${Math.round(row.throughput)}</text>`);
    });
  });
  parts.push(`<rect x="${L}" y="${H - 20}" width="12" height="12" fill="#1f77b4"/><text x="${L + 17}" y="${H - 10}">authorisations</text><rect x="${L + 130}" y="${H - 20}" width="12" height="12" fill="#ff7f0e"/><text x="${L + 147}" y="${H - 10}">mix</text>`);
  parts.push('</svg>');
  return parts.join('\n');
}
