import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import Ajv from 'ajv';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';

const require = createRequire(import.meta.url);

describe('electron-builder.yml', () => {
  const config = parse(readFileSync('electron-builder.yml', 'utf8')) as Record<string, unknown>;

  it('is valid against electron-builder’s own schema', () => {
    const schema = JSON.parse(readFileSync(require.resolve('app-builder-lib/scheme.json'), 'utf8')) as object;
    const ajv = new Ajv({ strict: false, allErrors: true });
    const validate = ajv.compile(schema);
    const valid = validate(config);
    expect(validate.errors ?? []).toEqual([]);
    expect(valid).toBe(true);
  });

  it('builds the portable and installed targets of every platform', () => {
    const targets = (platform: string) => (config[platform] as { target: string[] }).target;
    expect(targets('linux')).toEqual(expect.arrayContaining(['AppImage', 'deb', 'tar.gz']));
    expect(targets('win')).toEqual(expect.arrayContaining(['nsis', 'portable']));
    expect(targets('mac')).toEqual(expect.arrayContaining(['dmg', 'zip']));
  });

  it('ships built output, not sources, and keeps forked scripts out of the asar', () => {
    const files = config.files as string[];
    expect(files).toContain('out/**/*');
    expect(files.some((pattern) => /^(main|renderer|contract|tests)\/\*\*/.test(pattern))).toBe(false);
    expect(config.asarUnpack).toEqual(expect.arrayContaining(['out/main/**/*']));
  });
});
