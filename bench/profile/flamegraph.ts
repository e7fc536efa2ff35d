// Turns a V8 CPU profile (`node --cpu-prof`) into a flame graph as SVG:
//   node dist/bench/profile/flamegraph.js <profile.cpuprofile> <out.svg> [--last <seconds>] [--title <text>]
// `--last` keeps only the profile's final seconds (the load, not the start-up). Written by hand because the
// usual tools (0x, clinic, speedscope) either run the process themselves or render HTML, not a static SVG a
// document can show.
import { readFileSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';

interface ProfileNode {
  readonly id: number;
  readonly callFrame: { readonly functionName: string; readonly url: string; readonly lineNumber: number };
  readonly children?: readonly number[];
}

interface CpuProfile {
  readonly nodes: readonly ProfileNode[];
  readonly startTime: number;
  readonly endTime: number;
  readonly samples: readonly number[];
  readonly timeDeltas: readonly number[];
}

interface Frame {
  readonly name: string;
  readonly group: string;
  total: number;
  readonly children: Map<string, Frame>;
}

/** Where a frame's code lives: a package, a Cleave library, Node's own, or the VM. */
export function groupOf(url: string): string {
  if (!url) return 'vm';
  const pkg = /node_modules\/((@[^/]+\/)?[^/]+)/.exec(url);
  if (pkg) return pkg[1]!;
  if (url.startsWith('node:')) return 'node';
  const lib = /\/libs\/([^/]+)\//.exec(url);
  if (lib) return `cleave:${lib[1]}`;
  return url.includes('/apps/') ? 'cleave:apps' : 'other';
}

/** Folds the samples into a tree of frames weighted by time, idle time left out. */
export function fold(profile: CpuProfile, lastSeconds?: number): Frame {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parentOf = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parentOf.set(c, n.id);
  const from = lastSeconds ? profile.endTime - lastSeconds * 1e6 : -Infinity;
  const root: Frame = { name: 'all', group: 'root', total: 0, children: new Map() };
  let at = profile.startTime;
  for (let i = 0; i < profile.samples.length; i++) {
    const delta = profile.timeDeltas[i] ?? 0;
    at += delta;
    if (at < from) continue;
    const stack: ProfileNode[] = [];
    for (let id: number | undefined = profile.samples[i]; id !== undefined; id = parentOf.get(id)) stack.push(byId.get(id)!);
    stack.reverse();
    if (stack.some((n) => n.callFrame.functionName === '(idle)')) continue;
    root.total += delta;
    let frame = root;
    for (const node of stack.slice(1)) {
      const { functionName, url } = node.callFrame;
      const name = `${functionName || '(anonymous)'} ${url ? url.split('/').slice(-2).join('/') : ''}`.trim();
      let child = frame.children.get(name);
      if (!child) frame.children.set(name, (child = { name, group: groupOf(url), total: 0, children: new Map() }));
      child.total += delta;
      frame = child;
    }
  }
  return root;
}

const COLOURS: Record<string, string> = {
  vm: '#c7c7c7',
  node: '#9ecae1',
  typeorm: '#fdae6b',
  'better-sqlite3': '#fd8d3c',
  pg: '#fd8d3c',
  'class-validator': '#c994c7',
  'class-transformer': '#c994c7',
};
const colourOf = (group: string) =>
  COLOURS[group] ??
  (group.startsWith('cleave:')
    ? '#74c476'
    : group.startsWith('@nestjs/') || group === 'rxjs'
      ? '#fb6a4a'
      : group.startsWith('@nats-io/')
        ? '#6baed6'
        : '#fdd0a2');
const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** The flame graph: callers below, callees above, widths in proportion to time; frames under 0.1% dropped. */
export function render(root: Frame, title: string): string {
  const width = 1200;
  const row = 16;
  const rows: string[] = [];
  let depth = 0;
  const walk = (frame: Frame, x: number, level: number) => {
    const w = (frame.total / root.total) * width;
    if (w < width / 1000) return;
    depth = Math.max(depth, level);
    rows.push(`${level}|${x.toFixed(2)}|${w.toFixed(2)}|${frame.group}|${frame.name}|${((100 * frame.total) / root.total).toFixed(1)}`);
    let childX = x;
    for (const child of [...frame.children.values()].sort((a, b) => a.name.localeCompare(b.name))) {
      walk(child, childX, level + 1);
      childX += (child.total / root.total) * width;
    }
  };
  walk(root, 0, 0);
  const height = (depth + 1) * row + 40;
  const parts = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="monospace" font-size="10">`,
    `<text x="4" y="14" font-size="13" font-family="sans-serif">${esc(title)} (${(root.total / 1000).toFixed(0)} ms of samples; hover for names)</text>`,
  ];
  for (const line of rows) {
    const [level, x, w, group, ...rest] = line.split('|');
    const share = rest.pop();
    const name = rest.join('|');
    const y = height - (Number(level) + 1) * row - 4;
    const label =
      Number(w) > 40 ? `<text x="${Number(x) + 2}" y="${y + 11}">${esc(name.slice(0, Math.floor(Number(w) / 6.2)))}</text>` : '';
    parts.push(
      `<g><title>${esc(name)} [${esc(group!)}] ${share}%</title><rect x="${x}" y="${y}" width="${w}" height="${row - 1}" fill="${colourOf(group!)}"/>${label}</g>`,
    );
  }
  parts.push('</svg>');
  return parts.join('\n');
}

/**
 * Where the CPU went, by step: each sample goes to the nearest context on its stack (cards, ledger, feed…:
 * their handlers and the SQL they run), else the nearest platform area (bus, database, events, NATS), else
 * to what ran without Cleave's code on the stack (HTTP and Nest, the garbage collector, the rest). Async
 * continuations show only the function that resumed, so this is an attribution, not an accounting.
 */
/** A step with no Cleave code on its stack, by the library that ran (after an `await`, only it shows). */
function withoutCleave(library: string): string {
  if (/^(typeorm|better-sqlite3|pg|pg-protocol|pg-pool|@nestjs\/typeorm)$/.test(library))
    return 'database: TypeORM and driver (BEGIN, COMMIT, pool)';
  if (library.startsWith('@nats-io/')) return 'NATS client';
  if (/^(class-validator|class-transformer|validator)$/.test(library)) return 'validation libraries (HTTP bodies)';
  if (
    /^(fastify|@fastify\/|@nestjs\/|rxjs|pino|@pinojs\/|nestjs-pino|pino-http|find-my-way|avvio|light-my-request|secure-json-parse)/.test(
      library,
    )
  )
    return 'HTTP and Nest';
  if (library === 'node') return 'Node internals (promises, async hooks, socket I/O)';
  if (library === 'vm') return 'native and system calls (socket writes, …)';
  return `other: ${library}`;
}

export function steps(profile: CpuProfile, lastSeconds?: number): Array<{ step: string; ms: number; share: number }> {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parentOf = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parentOf.set(c, n.id);
  const stepOf = new Map<number, string>();
  const classify = (leaf: number): string => {
    let platform: string | undefined;
    let library: string | undefined;
    for (let id: number | undefined = leaf; id !== undefined; id = parentOf.get(id)) {
      const { url, functionName } = byId.get(id)!.callFrame;
      if (functionName === '(idle)') return 'idle';
      if (functionName === '(garbage collector)') return 'garbage collection';
      // Observability and resilience are charged where their own code runs (not what runs under them), so
      // their cost shows as a step of its own.
      const guard =
        /\/node_modules\/(prom-client|cockatiel|@nestjs\/throttler|@fastify\/under-pressure)\/|\/libs\/platform\/src\/observability\//.exec(
          url,
        );
      if (guard && platform === undefined)
        return guard[1] === undefined || guard[1] === 'prom-client' ? 'metrics (prom-client, health)' : `resilience (${guard[1]})`;
      const lib = /\/libs\/([^/]+)\/src\/([^/]+)/.exec(url);
      if (lib && lib[1] !== 'platform' && lib[1] !== 'contracts')
        return lib[1] === 'gateway' ? 'gateway (controllers, guards, views)' : lib[1]!;
      if (lib && lib[1] === 'platform') platform ??= `platform: ${lib[2]}`;
      library ??= url ? groupOf(url) : undefined;
    }
    if (platform) return platform;
    return withoutCleave(library ?? 'vm');
  };
  const totals = new Map<string, number>();
  const from = lastSeconds ? profile.endTime - lastSeconds * 1e6 : -Infinity;
  let at = profile.startTime;
  let all = 0;
  for (let i = 0; i < profile.samples.length; i++) {
    const delta = profile.timeDeltas[i] ?? 0;
    at += delta;
    if (at < from) continue;
    const leaf = profile.samples[i]!;
    let step = stepOf.get(leaf);
    if (step === undefined) stepOf.set(leaf, (step = classify(leaf)));
    if (step === 'idle') continue;
    all += delta;
    totals.set(step, (totals.get(step) ?? 0) + delta);
  }
  return [...totals].sort((a, b) => b[1] - a[1]).map(([step, us]) => ({ step, ms: us / 1000, share: us / Math.max(1, all) }));
}

if (process.argv[1]?.endsWith('flamegraph.js')) {
  const { values, positionals } = parseArgs({ allowPositionals: true, options: { last: { type: 'string' }, title: { type: 'string' } } });
  const [input, output] = positionals;
  if (!input || !output) {
    console.error('usage: node dist/bench/profile/flamegraph.js <profile.cpuprofile> <out.svg> [--last <seconds>] [--title <text>]');
    process.exit(2);
  }
  const profile = JSON.parse(readFileSync(input, 'utf8')) as CpuProfile;
  writeFileSync(output, render(fold(profile, values.last ? Number(values.last) : undefined), values.title ?? input));
}
