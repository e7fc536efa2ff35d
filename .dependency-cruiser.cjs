/**
 * The architecture, enforced (README, "How it fits together"): a context library imports only @cleave/contracts and
 * @cleave/platform; contracts is a leaf; platform knows no context; no library reaches into an app.
 * Imports resolve through tsconfig.json's aliases, and anything that does not resolve fails, so a
 * mistyped or deep alias can't slip past.
 */
// The platform's floors, lowest first: a folder imports from its own floor and those below, never above.
// The kit contexts use sits low (context, errors, jobs, validation, database, bus, events); the host that
// wires a process together (Nest modules, the app, health and metrics endpoints) is the top floor.
const PLATFORM_FLOORS = [
  ['context', 'errors'],
  ['security', 'jobs', 'validation', 'logging'],
  ['config'],
  ['observability'],
  ['database'],
  ['bus'],
  ['nats'],
  ['events'],
  ['host'],
];
const platformFolder = (folders) => `^libs/platform/src/(${folders.join('|')})/`;
const floorRules = PLATFORM_FLOORS.slice(0, -1).map((floor, i) => ({
  name: 'platform-imports-only-downwards',
  comment: `libs/platform/src/{${floor.join(',')}} sits below ${PLATFORM_FLOORS.slice(i + 1)
    .flat()
    .join(', ')}: it may not import them.`,
  severity: 'error',
  from: { path: platformFolder(floor) },
  to: { path: platformFolder(PLATFORM_FLOORS.slice(i + 1).flat()) },
}));

module.exports = {
  forbidden: [
    ...floorRules,
    {
      name: 'platform-folder-has-a-floor',
      comment: 'Every folder of libs/platform/src is on a floor (PLATFORM_FLOORS in .dependency-cruiser.cjs): say where a new one sits.',
      severity: 'error',
      from: { path: '^libs/platform/src/', pathNot: [platformFolder(PLATFORM_FLOORS.flat()), '^libs/platform/src/(index|naming)\\.ts$'] },
      to: {},
    },
    {
      name: 'context-imports-another-context',
      comment: 'A context talks to another only through the bus: import @cleave/contracts and @cleave/platform only.',
      severity: 'error',
      from: { path: '^libs/(?!contracts/|platform/)([^/]+)/' },
      to: { path: '^libs/([^/]+)/', pathNot: ['^libs/$1/', '^libs/contracts/', '^libs/platform/'] },
    },
    {
      name: 'contracts-is-a-leaf',
      comment: 'Contracts are plain data classes, names and codes: nothing from the workspace.',
      severity: 'error',
      from: { path: '^libs/contracts/' },
      to: { path: '^(libs/(?!contracts/)|apps/|test/|bench/)' },
    },
    {
      name: 'platform-knows-no-context',
      comment: 'The platform serves every context and depends on none of them.',
      severity: 'error',
      from: { path: '^libs/platform/' },
      to: { path: '^(libs/(?!platform/|contracts/)|apps/|test/|bench/)' },
    },
    {
      name: 'libraries-do-not-import-apps-or-tests',
      comment: "A library's own tests (libs/<lib>/test) may use the shared test support; its source may not.",
      severity: 'error',
      from: { path: '^libs/[^/]+/src/' },
      to: { path: '^(apps|test|bench)/' },
    },
    {
      name: 'outside-uses-a-context-whole',
      comment:
        "Apps, the shared tests and the benchmarks use a context through its barrel (its module) only; a test of a context's insides belongs in libs/<context>/test.",
      severity: 'error',
      from: { path: '^(apps|test|bench)/' },
      to: { path: '^libs/(?!contracts/|platform/)[^/]+/src/', pathNot: '^libs/[^/]+/src/index\\.ts$' },
    },
    {
      name: 'launcher-loads-no-platform',
      comment:
        'The split launcher only starts processes: it takes the names it needs from @cleave/platform/naming, not the whole platform (~60 MiB more resident).',
      severity: 'error',
      from: { path: '^apps/cleave/src/launcher/' },
      to: { path: '^libs/platform/src/index\\.ts$' },
    },
    {
      name: 'not-to-unresolvable',
      comment: 'Every import must resolve: a typo in an alias is a build failure, not a silent pass.',
      severity: 'error',
      from: {},
      to: { couldNotResolve: true },
    },
    {
      name: 'no-circular',
      severity: 'error',
      from: { path: '^libs/' },
      to: { circular: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '(^dist/|\\.d\\.ts$)' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default', 'types'],
      extensions: ['.ts', '.js', '.mjs', '.cjs', '.json', '.d.ts'],
      mainFields: ['module', 'main', 'types', 'typings'],
    },
  },
};
