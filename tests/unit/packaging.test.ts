import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, normalize } from 'node:path';
import Ajv from 'ajv';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';

const require = createRequire(import.meta.url);
// The glob matcher electron-builder itself matches asarUnpack patterns with.
const { minimatch } = createRequire(require.resolve('app-builder-lib/package.json'))('minimatch') as {
  minimatch: (path: string, pattern: string, options?: { dot?: boolean }) => boolean;
};

type Config = Record<string, unknown>;
const read = (file: string) => parse(readFileSync(file, 'utf8')) as Config;
const release = read('electron-builder.yml');
const e2e = read('electron-builder.e2e.yml');
/** A config as electron-builder itself loads it (`extends` resolved and merged), by its own loader. */
async function loaded(file: string): Promise<Config> {
  const { getConfig } = require('app-builder-lib/out/util/config/config') as {
    getConfig(projectDir: string, configPath: string, configFromOptions: null): Promise<Config>;
  };
  return getConfig(process.cwd(), file, null);
}

function validate(config: Config) {
  const schema = JSON.parse(readFileSync(require.resolve('app-builder-lib/scheme.json'), 'utf8')) as object;
  const ajv = new Ajv({ strict: false, allErrors: true });
  const check = ajv.compile(schema);
  const valid = check(config);
  expect(check.errors ?? []).toEqual([]);
  expect(valid).toBe(true);
}

/** Every file a built entry loads through relative static imports, itself included. */
function importGraph(entry: string): Set<string> {
  const seen = new Set<string>();
  const visit = (file: string) => {
    if (seen.has(file)) return;
    seen.add(file);
    const code = readFileSync(file, 'utf8');
    for (const match of code.matchAll(/(?:from|import)\s*\(?\s*["'](\.{1,2}\/[^"']+)["']/g)) {
      visit(normalize(join(dirname(file), match[1]!)));
    }
  };
  visit(entry);
  return seen;
}

const unpacked = (file: string) =>
  (release.asarUnpack as string[]).some((pattern) => minimatch(file, pattern, { dot: true }));

describe('electron-builder.yml (the release build)', () => {
  it('is valid against electron-builder’s own schema', () => validate(release));

  it('builds the portable and installed targets of every platform', () => {
    const targets = (platform: string) => (release[platform] as { target: string[] }).target;
    expect(targets('linux')).toEqual(expect.arrayContaining(['AppImage', 'deb', 'tar.gz']));
    expect(targets('win')).toEqual(expect.arrayContaining(['nsis', 'portable']));
    expect(targets('mac')).toEqual(expect.arrayContaining(['dmg', 'zip']));
  });

  it('ships built output, not sources', () => {
    const files = release.files as string[];
    expect(files).toContain('out/**/*');
    expect(files.some((pattern) => /^(main|renderer|contract|tests)\/\*\*/.test(pattern))).toBe(false);
  });

  it('ships with --inspect off (it would run any code in the main process), asar integrity on, RunAsNode on', () => {
    expect(release.electronFuses).toMatchObject({
      enableNodeCliInspectArguments: false,
      enableNodeOptionsEnvironmentVariable: false,
      enableEmbeddedAsarIntegrityValidation: true,
      onlyLoadAppFromAsar: true,
      runAsNode: true,
    });
  });

  it('unpacks from the asar every file a child script loads and no file the main process loads', () => {
    for (const child of ['spawn-helper', 'process-runner', 'pool-worker']) {
      const entry = `out/main/${child}.js`;
      expect(existsSync(entry), `${entry} is built`).toBe(true);
      for (const file of importGraph(entry))
        expect(unpacked(file), `${file} (loaded by ${child})`).toBe(true);
    }
    for (const entry of ['out/main/electron.js', 'out/main/serve.js']) {
      const loaded = [...importGraph(entry)];
      expect(loaded.length).toBeGreaterThan(1);
      expect(loaded.filter(unpacked), `unpacked files ${entry} loads`).toEqual([]);
    }
    expect(release.asarUnpack).not.toContain('out/main/**/*');
  });
});

describe('electron-builder.e2e.yml (the build Playwright drives)', () => {
  it('extends the release config and is valid against the schema on its own and merged', async () => {
    expect(e2e.extends).toBe('electron-builder.yml');
    validate(e2e);
    const merged = await loaded('electron-builder.e2e.yml');
    validate(merged);
  });

  it('differs from the release build only in the inspect fuse, its name and its output folder', async () => {
    const e2eMerged = await loaded('electron-builder.e2e.yml');
    expect(e2eMerged.asarUnpack).toEqual(release.asarUnpack);
    expect(e2eMerged.electronFuses).toEqual({
      ...(release.electronFuses as object),
      enableNodeCliInspectArguments: true,
    });
    expect((e2eMerged.directories as { output: string }).output).not.toBe(
      (release.directories as { output: string }).output,
    );
    expect(Object.keys(e2e).sort()).toEqual(['directories', 'electronFuses', 'extends', 'productName']);
  });
});
