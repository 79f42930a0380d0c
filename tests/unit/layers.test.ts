import { join, resolve } from 'node:path';
import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';

// The import rules per layer (eslint.config.js) exist and catch what they are for: each case is a
// small file linted in memory at a path inside its layer, with the project's own config.
const root = resolve(import.meta.dirname, '..', '..');
const eslint = new ESLint({ cwd: root });

async function importErrors(path: string, source: string): Promise<string[]> {
  const [result] = await eslint.lintText(`${source}\nexport const used = probe;\n`, {
    filePath: join(root, path),
  });
  return (result?.messages ?? [])
    .filter((message) => message.ruleId === 'no-restricted-imports')
    .map((message) => message.message);
}

describe('each layer imports only what its runtime allows', () => {
  it('a renderer file importing main/ fails lint', async () => {
    const errors = await importErrors(
      'renderer/lib/features/runs/probe.ts',
      `import { Engine as probe } from '../../../../main/engine/engine';`,
    );
    expect(errors).toEqual([expect.stringContaining('The renderer never imports main/')]);
  });

  it('a Svelte component importing main/ fails lint too', async () => {
    const [result] = await eslint.lintText(
      `<script lang="ts">\n  import { Engine } from '../../../main/engine/engine';\n  console.log(Engine);\n</script>\n`,
      { filePath: join(root, 'renderer/lib/shell/Probe.svelte') },
    );
    expect(result?.messages.map((message) => message.ruleId)).toContain('no-restricted-imports');
  });

  it('a renderer file importing Node or Electron fails lint', async () => {
    expect(
      await importErrors('renderer/lib/probe.ts', `import { readFileSync as probe } from 'node:fs';`),
    ).toHaveLength(1);
    expect(
      await importErrors('renderer/lib/probe.ts', `import { ipcRenderer as probe } from 'electron';`),
    ).toHaveLength(1);
  });

  it('the engine importing the api layer or Electron fails lint', async () => {
    expect(
      await importErrors('main/engine/probe.ts', `import { createHost as probe } from '../api/host';`),
    ).toEqual([expect.stringContaining('The engine never imports the layers above it')]);
    expect(
      await importErrors('main/engine/pool/probe.ts', `import { app as probe } from 'electron';`),
    ).toHaveLength(1);
  });

  it('code in a child/ folder importing the engine side or the layers above fails lint', async () => {
    expect(
      await importErrors(
        'main/engine/pool/child/probe.ts',
        `import { PoolManager as probe } from '../pool-manager';`,
      ),
    ).toEqual([expect.stringContaining('Code in a child/ folder runs in the child')]);
    expect(
      await importErrors(
        'main/engine/queue/child/probe.ts',
        `import { QueueBroker as probe } from '../broker/broker';`,
      ),
    ).toHaveLength(1);
    expect(
      await importErrors(
        'main/engine/spawn/child/probe.ts',
        `import { createHost as probe } from '../../../api/host';`,
      ),
    ).toEqual([expect.stringContaining('The engine never imports the layers above it')]);
    expect(
      await importErrors(
        'main/engine/pool/child/probe.ts',
        `import { TaskMode as probe } from '../worker-protocol';`,
      ),
    ).toEqual([]);
  });

  it('contract/ importing anything of ours outside it fails lint', async () => {
    expect(
      await importErrors('contract/probe.ts', `import { Engine as probe } from '../main/engine/engine';`),
    ).toEqual([expect.stringContaining('contract/ imports nothing of ours')]);
  });

  it('the allowed imports pass: the renderer and the engine import contract/, contract/ imports zod', async () => {
    expect(
      await importErrors('renderer/lib/probe.ts', `import { methods as probe } from '../../contract';`),
    ).toEqual([]);
    expect(
      await importErrors('main/engine/probe.ts', `import { methods as probe } from '../../contract';`),
    ).toEqual([]);
    expect(await importErrors('contract/probe.ts', `import { z as probe } from 'zod';`)).toEqual([]);
  });
});
