import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import swc from 'unplugin-swc';
import { defineConfig } from 'vitest/config';

// One source for the @cleave/* aliases: tsconfig.json.
const tsconfig = JSON.parse(readFileSync(new URL('./tsconfig.json', import.meta.url), 'utf8')) as {
  compilerOptions: { paths: Record<string, string[]> };
};
const alias = Object.fromEntries(Object.entries(tsconfig.compilerOptions.paths).map(([name, [target]]) => [name, resolve(target!)]));

export default defineConfig({
  plugins: [swc.vite({ jsc: { transform: { useDefineForClassFields: false } } })],
  resolve: { alias },
  test: {
    include: ['{apps,libs,test}/**/*.spec.ts'],
    globalSetup: ['test/support/build.ts'],
    setupFiles: ['reflect-metadata'],
    pool: 'forks',
    // Every process a test starts opens its management port on a free port, not the shared default.
    env: { CLEAVE_MANAGEMENT_PORT: '0' },
    testTimeout: 30_000,
    hookTimeout: 60_000,
  },
});
