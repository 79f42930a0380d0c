import { existsSync, statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { ForkscopeError } from '../../../contract';

function splitTarget(target: string, cwd: string): { file: string; name: string } {
  const hash = target.lastIndexOf('#');
  if (hash <= 0)
    throw new ForkscopeError('invalid-argument', 'A target looks like path/to/module.js#exportName.');
  return { file: resolve(cwd, target.slice(0, hash)), name: target.slice(hash + 1) };
}

/**
 * Checks a target before a pool is made for it, without running its code: the module must be a
 * file, and its text must name the export (unless it re-exports everything from elsewhere).
 */
export async function checkTarget(target: string, cwd: string): Promise<void> {
  const { file, name } = splitTarget(target, cwd);
  if (!existsSync(file)) {
    throw new ForkscopeError(
      'not-found',
      `The module ${file} does not exist (relative paths are resolved against ${cwd}).`,
    );
  }
  if (!statSync(file).isFile()) throw new ForkscopeError('invalid-argument', `${file} is not a file.`);
  const text = await readFile(file, 'utf8').catch(() => null);
  if (text === null || !name || /export\s*\*/.test(text)) return;
  if (!new RegExp(`(^|[^\\w$])${name.replaceAll('$', '\\$')}([^\\w$]|$)`).test(text)) {
    throw new ForkscopeError('not-found', `${file} has no exported function named "${name}".`);
  }
}

/** What the pool has measured of one target's tasks. */
interface TargetStats {
  /** Tasks finished. */
  count: number;
  /** Moving average of their durations (ms), quick to rise and slow to fall: a long task counts at once. */
  averageMs: number;
}

/** Tasks finished before a target's tasks count as measured. */
const measuredAfter = 3;

/**
 * The targets of one pool: each resolved once to an absolute `file#name` and numbered (workers
 * are told a target once, then tasks name it by its number), and how long its tasks take.
 */
export class PoolTargets {
  private readonly known = new Map<string, number>();
  /** Resolved targets, by number. */
  private readonly resolved: string[] = [];
  /** The targets tasks were submitted with, first first (the initializer is not one). */
  private readonly submitted = new Set<string>();
  private readonly stats: TargetStats[] = [];

  constructor(private readonly cwd: string) {}

  /** The target's number, resolving it the first time. */
  number(target: string): number {
    let index = this.known.get(target);
    if (index === undefined) {
      const { file, name } = splitTarget(target, this.cwd);
      if (!existsSync(file)) throw new ForkscopeError('not-found', `The module ${file} does not exist.`);
      index = this.resolved.length;
      this.resolved.push(`${file}#${name}`);
      this.known.set(target, index);
    }
    return index;
  }

  path(index: number): string {
    return this.resolved[index]!;
  }

  /** A task is submitted with this target: numbered, and listed among the pool's targets. */
  forTask(target: string): number {
    const index = this.number(target);
    this.submitted.add(this.resolved[index]!);
    return index;
  }

  get taskTargets(): string[] {
    return [...this.submitted];
  }

  measure(index: number, took: number): void {
    const stats = this.stats[index];
    if (!stats) {
      this.stats[index] = { count: 1, averageMs: took };
      return;
    }
    stats.count++;
    stats.averageMs =
      took > stats.averageMs ? (stats.averageMs + took) / 2 : stats.averageMs * 0.8 + took * 0.2;
  }

  /**
   * How many tasks of this target a worker may hold: deep for tiny tasks (throughput), one for
   * long ones or for tasks not yet measured (balance: a task must not wait behind a long one while
   * a worker idles).
   */
  depth(index: number): number {
    const stats = this.stats[index];
    if (!stats || stats.count < measuredAfter) return 1;
    const averageMs = stats.averageMs;
    if (averageMs < 0.05) return 64;
    if (averageMs < 0.5) return 16;
    if (averageMs < 5) return 4;
    if (averageMs < 50) return 2;
    return 1;
  }
}
