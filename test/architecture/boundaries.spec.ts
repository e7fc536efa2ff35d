import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../..', import.meta.url));
const config = join(root, '.dependency-cruiser.cjs');
const depcruise = join(root, 'node_modules/dependency-cruiser/bin/dependency-cruise.mjs');

interface Violation {
  from: string;
  to: string;
  rule: { name: string };
}

function cruise(cwd: string, dirs: string[]): Violation[] {
  const result = spawnSync(process.execPath, [depcruise, ...dirs, '--config', config, '--output-type', 'json'], {
    cwd,
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  });
  if (!result.stdout) throw new Error(`depcruise failed: ${result.stderr}`);
  return (JSON.parse(result.stdout) as { summary: { violations: Violation[] } }).summary.violations;
}

/** A workspace shaped like Cleave's, with the project's own tsconfig aliases, holding the given files. */
function workspace(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'cleave-arch-'));
  const tsconfig = JSON.parse(readFileSync(join(root, 'tsconfig.json'), 'utf8')) as {
    compilerOptions: { paths: Record<string, string[]> };
  };
  const paths = { ...tsconfig.compilerOptions.paths };
  for (const lib of ['cards', 'feed', 'webhooks']) paths[`@cleave/${lib}`] = [`libs/${lib}/src/index.ts`];
  writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify({ compilerOptions: { ...tsconfig.compilerOptions, paths } }));
  for (const [file, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, file)), { recursive: true });
    writeFileSync(join(dir, file), text);
  }
  return dir;
}

const made: string[] = [];
afterAll(() => made.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

describe('the boundary check', () => {
  it('passes on the real tree', () => {
    expect(cruise(root, ['apps', 'libs', 'test', 'bench'])).toEqual([]);
  });

  it('catches each kind of violation, through aliases and relative paths alike', () => {
    const dir = workspace({
      'libs/contracts/src/index.ts': "import { bus } from '@cleave/platform';\nexport const c = bus;\n",
      'libs/platform/src/index.ts': "import { ledger } from '@cleave/ledger';\nexport const bus = ledger;\n",
      'libs/ledger/src/index.ts': 'export const ledger = 1;\n',
      'libs/ledger/src/internal.ts': 'export const secret = 2;\n',
      'libs/accounts/src/index.ts': "import { ledger } from '@cleave/ledger';\nexport const accounts = ledger;\n",
      'libs/cards/src/index.ts': "import { secret } from '../../ledger/src/internal';\nexport const cards = secret;\n",
      'libs/feed/src/index.ts': "import { secret } from '@cleave/ledger/src/internal';\nexport const feed = secret;\n",
      'libs/webhooks/src/index.ts': "import { x } from '@cleave/ledgr';\nexport const webhooks = x;\n",
      'libs/accounts/src/uses-app.ts': "import { main } from '../../../apps/cleave/src/main';\nexport const m = main;\n",
      'apps/cleave/src/main.ts': 'export const main = 1;\n',
      'apps/cleave/src/version.ts': "import { secret } from '../../../libs/ledger/src/internal';\nexport const v = secret;\n",
      'bench/peek.ts': "import { secret } from '../libs/ledger/src/internal';\nexport const p = secret;\n",
      'test/peek.spec.ts':
        "import { ledger } from '../libs/ledger/src/index';\nimport { secret } from '../libs/ledger/src/internal';\nexport const t = [ledger, secret];\n",
    });
    made.push(dir);
    const found = cruise(dir, ['apps', 'libs', 'test', 'bench']).map((v) => `${v.rule.name}: ${v.from} -> ${v.to}`);
    expect(found).toEqual(
      expect.arrayContaining([
        'contracts-is-a-leaf: libs/contracts/src/index.ts -> libs/platform/src/index.ts',
        'platform-knows-no-context: libs/platform/src/index.ts -> libs/ledger/src/index.ts',
        'context-imports-another-context: libs/accounts/src/index.ts -> libs/ledger/src/index.ts',
        'context-imports-another-context: libs/cards/src/index.ts -> libs/ledger/src/internal.ts',
        'not-to-unresolvable: libs/feed/src/index.ts -> @cleave/ledger/src/internal',
        'not-to-unresolvable: libs/webhooks/src/index.ts -> @cleave/ledgr',
        'libraries-do-not-import-apps-or-tests: libs/accounts/src/uses-app.ts -> apps/cleave/src/main.ts',
        'outside-uses-a-context-whole: apps/cleave/src/version.ts -> libs/ledger/src/internal.ts',
        'outside-uses-a-context-whole: bench/peek.ts -> libs/ledger/src/internal.ts',
        'outside-uses-a-context-whole: test/peek.spec.ts -> libs/ledger/src/internal.ts',
      ]),
    );
    // Its barrel is the way in.
    expect(found.filter((v) => v.includes('-> libs/ledger/src/index.ts') && v.startsWith('outside'))).toEqual([]);
  });

  it("holds the platform's floors: nothing imports upwards, and every folder has a floor", () => {
    const dir = workspace({
      'libs/platform/src/index.ts': "import { bus } from './bus/message-bus';\nexport const all = bus;\n",
      'libs/platform/src/errors/cleave-error.ts': "import { app } from '../host/create-cleave-app';\nexport const error = app;\n",
      'libs/platform/src/bus/message-bus.ts':
        "import { error } from '../errors/cleave-error';\nimport { relay } from '../events/outbox-relay';\nexport const bus = [error, relay];\n",
      'libs/platform/src/events/outbox-relay.ts': "import { db } from '../database/context-database';\nexport const relay = db;\n",
      'libs/platform/src/database/context-database.ts': 'export const db = 1;\n',
      'libs/platform/src/host/create-cleave-app.ts': "import { bus } from '../bus/message-bus';\nexport const app = bus;\n",
      'libs/platform/src/gadgets/thing.ts': "import { db } from '../database/context-database';\nexport const thing = db;\n",
    });
    made.push(dir);
    const found = cruise(dir, ['libs']).map((v) => `${v.rule.name}: ${v.from} -> ${v.to}`);
    expect(found.filter((v) => !v.startsWith('no-circular')).sort()).toEqual([
      'platform-folder-has-a-floor: libs/platform/src/gadgets/thing.ts -> libs/platform/src/database/context-database.ts',
      'platform-imports-only-downwards: libs/platform/src/bus/message-bus.ts -> libs/platform/src/events/outbox-relay.ts',
      'platform-imports-only-downwards: libs/platform/src/errors/cleave-error.ts -> libs/platform/src/host/create-cleave-app.ts',
    ]);
  });

  it('allows a context to use contracts, platform, its own files and npm packages', () => {
    const dir = workspace({
      'libs/contracts/src/index.ts': "import { IsString } from 'class-validator';\nexport const c = IsString;\n",
      'libs/platform/src/index.ts': "import { c } from '@cleave/contracts';\nexport const bus = c;\n",
      'libs/ledger/src/index.ts':
        "import { c } from '@cleave/contracts';\nimport { bus } from '@cleave/platform';\nimport { own } from './own';\nexport const ledger = [c, bus, own];\n",
      'libs/ledger/src/own.ts': 'export const own = 1;\n',
    });
    made.push(dir);
    // The workspace has no node_modules of its own; class-validator resolves from the repo above tmp only if linked.
    mkdirSync(join(dir, 'node_modules'), { recursive: true });
    spawnSync('ln', ['-s', join(root, 'node_modules/class-validator'), join(dir, 'node_modules/class-validator')]);
    expect(cruise(dir, ['libs'])).toEqual([]);
  });
});
