import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Containment } from '../containment/containment';
import type { FdBudget } from './fd-budget';
import { NativeHelperUnavailable, NativeSpawnClient } from './native-spawn-client';
import { NodeSpawnClient } from './node-spawn-client';
import type { SpawnedChild, SpawnParams, Spawner } from './spawned-child';

export { SpawnFailure, type ChildExit, type SpawnedChild, type SpawnParams } from './spawned-child';

/** The native helper's built name, beside the child scripts (electron.vite.config.ts compiles it). */
export const nativeHelperName = 'forkscope-spawn';

/** In a packaged app, a binary cannot run from inside the asar archive: it is unpacked beside it. */
function unpacked(path: string): string {
  return path.replace(/app\.asar(?=[\\/])/, 'app.asar.unpacked');
}

/**
 * The engine's spawn path. Commands are started by a small helper process, never by the engine
 * (Node's spawn forks the caller, so its cost would grow with the engine's memory): the native
 * helper (native/spawn-helper.c) where it was built, Linux; else, or when it cannot start, or
 * with FORKSCOPE_SPAWN_HELPER=node, the Node helper (child/spawn-helper.ts).
 */
export class SpawnHelperClient implements Spawner {
  private native: NativeSpawnClient | null = null;
  private node: NodeSpawnClient | null = null;

  constructor(
    private readonly helperPath: string,
    private readonly containment?: Containment,
    private readonly fds?: FdBudget,
  ) {
    const nativePath = unpacked(join(dirname(helperPath), nativeHelperName));
    if (
      process.platform === 'linux' &&
      process.env.FORKSCOPE_SPAWN_HELPER !== 'node' &&
      existsSync(nativePath)
    )
      this.native = new NativeSpawnClient(nativePath, containment, fds);
  }

  /** Which helper starts commands now. */
  get kind(): 'native' | 'node' {
    return this.native ? 'native' : 'node';
  }

  get pid(): number | undefined {
    return this.native ? this.native.pid : this.node?.pid;
  }

  async spawn(params: SpawnParams): Promise<SpawnedChild> {
    if (this.native) {
      try {
        return await this.native.spawn(params);
      } catch (error) {
        if (!(error instanceof NativeHelperUnavailable)) throw error;
        process.stderr.write(
          `forkscope: the native spawn helper cannot run (${error.message}); commands start through the Node helper\n`,
        );
        this.native.stop();
        this.native = null;
      }
    }
    this.node ??= new NodeSpawnClient(this.helperPath, this.containment, this.fds);
    return this.node.spawn(params);
  }

  stop(): void {
    this.native?.stop();
    this.node?.stop();
  }
}
