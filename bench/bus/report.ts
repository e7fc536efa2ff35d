import type { MachineDescription } from '../machine';
import type { Measurement } from './caller';

export interface Sample extends Measurement {
  readonly path: string;
  readonly concurrency: number;
  readonly round: number;
}

export interface Median {
  readonly opsPerSecond: number;
  readonly p50us: number;
  readonly p99us: number;
  readonly errors: number;
}

export interface BusBenchResults {
  readonly kind: 'bus';
  readonly startedAt: string;
  readonly machine: MachineDescription;
  readonly settings: { rounds: number; durationMs: number; warmupMs: number; concurrencies: number[] };
  readonly paths: Array<{ id: string; label: string }>;
  readonly samples: Sample[];
  /** path → concurrency → medians over the rounds. */
  readonly summary: Record<string, Record<number, Median>>;
}

const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};

export function summarise(paths: string[], concurrencies: number[], samples: Sample[]): BusBenchResults['summary'] {
  const summary: BusBenchResults['summary'] = {};
  for (const path of paths) {
    summary[path] = {};
    for (const c of concurrencies) {
      const mine = samples.filter((s) => s.path === path && s.concurrency === c);
      if (mine.length === 0) continue;
      summary[path]![c] = {
        opsPerSecond: median(mine.map((s) => s.opsPerSecond)),
        p50us: median(mine.map((s) => s.p50us)),
        p99us: median(mine.map((s) => s.p99us)),
        errors: mine.reduce((sum, s) => sum + s.errors, 0),
      };
    }
  }
  return summary;
}

const ops = (n: number) =>
  n >= 1e6 ? `${(n / 1e6).toFixed(2)}M` : n >= 1e4 ? `${(n / 1e3).toFixed(1)}k` : Math.round(n).toLocaleString('en-GB');
const us = (n: number) => (n >= 1000 ? `${(n / 1000).toFixed(2)} ms` : `${n.toFixed(n < 10 ? 2 : 0)} µs`);

/** One target: a ratio of two paths' throughput at one concurrency, against a floor. */
interface Target {
  readonly name: string;
  readonly path: string;
  readonly versus: string;
  readonly concurrency: number;
  readonly atLeast: number;
}

const TARGETS: Target[] = [
  {
    name: 'NATS bus ≥ 0.8× raw NATS with a shared reply inbox',
    path: 'cleave-nats',
    versus: 'nats-shared-inbox',
    concurrency: 64,
    atLeast: 0.8,
  },
  { name: 'NATS bus ahead of Moleculer over NATS', path: 'cleave-nats', versus: 'moleculer-nats', concurrency: 64, atLeast: 1 },
  { name: 'NATS bus ahead of NestJS ClientProxy', path: 'cleave-nats', versus: 'nest-client-proxy', concurrency: 64, atLeast: 1 },
  {
    name: 'NATS bus ≥ 0.8× raw shared inbox, one at a time',
    path: 'cleave-nats',
    versus: 'nats-shared-inbox',
    concurrency: 1,
    atLeast: 0.8,
  },
  {
    name: 'in-process bus ≥ 0.25× Moleculer local call',
    path: 'cleave-in-process',
    versus: 'moleculer-local',
    concurrency: 1,
    atLeast: 0.25,
  },
  {
    name: 'in-process bus ≥ 0.25× Moleculer local call, c=64',
    path: 'cleave-in-process',
    versus: 'moleculer-local',
    concurrency: 64,
    atLeast: 0.25,
  },
];

export function renderReport(r: BusBenchResults): string {
  const cs = r.settings.concurrencies;
  const lines: string[] = [];
  lines.push(`# Bus benchmark — ${r.startedAt}`, '');
  lines.push(
    `Machine: ${r.machine.cpus} × ${r.machine.cpuModel}, ${r.machine.memoryGiB} GiB, ${r.machine.os}, Node ${r.machine.node}, ${r.machine.natsServer}.`,
    `Medians of ${r.settings.rounds} interleaved rounds of ${r.settings.durationMs} ms each (after ${r.settings.warmupMs} ms warm-up); caller and responder in separate processes for every NATS path; one small JSON payload (4 fields) and reply throughout.`,
    '',
  );
  if (r.machine.nodeMismatch) lines.push(`**Note: ${r.machine.nodeMismatch}.**`, '');
  const header = ['path', ...cs.flatMap((c) => [`c=${c} req/s`, `c=${c} p50`, `c=${c} p99`])];
  lines.push(`| ${header.join(' | ')} |`, `| ${header.map((_, i) => (i === 0 ? '---' : '---:')).join(' | ')} |`);
  for (const path of r.paths) {
    const row = [path.label];
    for (const c of cs) {
      const m = r.summary[path.id]?.[c];
      row.push(m ? ops(m.opsPerSecond) : '—', m ? us(m.p50us) : '—', m ? us(m.p99us) : '—');
    }
    lines.push(`| ${row.join(' | ')} |`);
  }
  const errors = Object.entries(r.summary).flatMap(([p, byC]) =>
    Object.entries(byC)
      .filter(([, m]) => m.errors > 0)
      .map(([c, m]) => `${p} c=${c}: ${m.errors}`),
  );
  if (errors.length) lines.push('', `Errors: ${errors.join('; ')}.`);
  lines.push('', '## Targets (ratios of throughput from this run)', '', '| target | ratio | result |', '| --- | ---: | --- |');
  for (const t of TARGETS) {
    const a = r.summary[t.path]?.[t.concurrency]?.opsPerSecond;
    const b = r.summary[t.versus]?.[t.concurrency]?.opsPerSecond;
    if (a === undefined || b === undefined) continue;
    const ratio = a / b;
    lines.push(
      `| ${t.name} (c=${t.concurrency}) | ${ratio.toFixed(2)}× | ${ratio >= t.atLeast ? 'met' : `missed (needs ${t.atLeast}×)`} |`,
    );
  }
  lines.push('');
  return lines.join('\n');
}
