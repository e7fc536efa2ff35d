/**
 * The architecture, enforced (README, "How it fits together"): a context library imports only @cleave/contracts and
 * @cleave/platform; contracts is a leaf; platform knows no context; no library reaches into an app.
 * Imports resolve through tsconfig.json's aliases, and anything that does not resolve fails, so a
 * mistyped or deep alias can't slip past.
 */
module.exports = {
  forbidden: [
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
