import { readFileSync } from 'node:fs';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Controller, Module } from '@nestjs/common';
import { CleaveEvents, CleaveRequests, command, query } from '@cleave/contracts';
import { CleaveServer, createCleaveApp, Handles, loadCleaveConfig } from '@cleave/platform';
import { afterAll, describe, expect, it } from 'vitest';
import { cleaveDeployment } from '../../apps/cleave/src/deployment';
import { EmptyRequest } from '../fixtures/fixture.contracts';

const dataDir = mkdtempSync(join(tmpdir(), 'cleave-arch-'));
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));
const config = () =>
  loadCleaveConfig({ CLEAVE_MANAGEMENT_PORT: 'off', CLEAVE_DATA_DIR: dataDir, LOG_LEVEL: 'silent', CLEAVE_TRANSPORT: 'in-process' });

describe('handlers and contracts', () => {
  it('every pattern in the contracts has exactly one handler, and every handler one pattern', async () => {
    const cleave = await createCleaveApp(cleaveDeployment, config());
    try {
      const handled = cleave.app.get(CleaveServer).requestPatterns().sort();
      expect(handled).toEqual(Object.keys(CleaveRequests).sort());
      for (const { event } of cleave.app.get(CleaveServer).eventSubscriptions()) {
        expect(Object.keys(CleaveEvents)).toContain(event);
      }
    } finally {
      await cleave.close();
    }
  });

  it('refuses to start a context that leaves a pattern of its contract unhandled', async () => {
    @Controller()
    class Partial {
      @Handles<typeof requests>('lonely.first')
      first() {
        return 1;
      }
    }
    @Module({ controllers: [Partial] })
    class LonelyModule {}
    const requests = {
      'lonely.first': query(EmptyRequest).returns<number>(),
      'lonely.second': command(EmptyRequest).returns<number>(),
    };
    const attempt = createCleaveApp(
      { contracts: { requests, events: {}, dependencies: {} }, contexts: { lonely: async () => LonelyModule }, version: '0.0.0' },
      config(),
    );
    await expect(attempt).rejects.toThrow(/lonely is hosted here but nothing handles lonely.second/);
  });

  it('refuses two handlers for one pattern', async () => {
    @Controller()
    class One {
      @Handles<typeof requests>('twice.call')
      a() {
        return 1;
      }
    }
    @Controller()
    class Two {
      @Handles<typeof requests>('twice.call')
      b() {
        return 2;
      }
    }
    @Module({ controllers: [One, Two] })
    class TwiceModule {}
    const requests = { 'twice.call': query(EmptyRequest).returns<number>() };
    const attempt = createCleaveApp(
      { contracts: { requests, events: {}, dependencies: {} }, contexts: { twice: async () => TwiceModule }, version: '0.0.0' },
      config(),
    );
    await expect(attempt).rejects.toThrow(/two handlers for twice.call/);
  });

  it('the build resolves @cleave/* exactly as tsconfig.json does', () => {
    const tsPaths = (JSON.parse(readFileSync('tsconfig.json', 'utf8')) as { compilerOptions: { paths: Record<string, string[]> } })
      .compilerOptions.paths;
    const swcPaths = (JSON.parse(readFileSync('.swcrc', 'utf8')) as { jsc: { paths: Record<string, string[]> } }).jsc.paths;
    const normalise = (paths: Record<string, string[]>) =>
      Object.fromEntries(Object.entries(paths).map(([k, [v]]) => [k, v!.replace(/^\.\//, '')]));
    expect(normalise(swcPaths)).toEqual(normalise(tsPaths));
    // Each library is imported whole, by its index; the platform has one light entry besides (for the launcher).
    const lightEntries: Record<string, string> = { '@cleave/platform/naming': 'libs/platform/src/naming.ts' };
    for (const [alias, [target]] of Object.entries(tsPaths)) {
      if (alias in lightEntries) {
        expect(target).toBe(lightEntries[alias]);
        continue;
      }
      expect(alias).toMatch(/^@cleave\/[a-z]+$/);
      expect(target).toBe(`libs/${alias.slice('@cleave/'.length)}/src/index.ts`);
    }
  });
});
