import { statSync } from 'node:fs';
import { stat } from 'node:fs/promises';
import { delimiter, join, resolve } from 'node:path';
import { ForkscopeError } from '../../contract';

/** Linux refuses an argv+env much past this (ARG_MAX is 2 MiB, and one string may be at most 128 KiB). */
const maxArgBytes = 2 * 1024 * 1024 - 64 * 1024;
const maxOneArgBytes = 128 * 1024;

/** Checks what spawn would otherwise throw about, so the error names what is wrong. */
export function checkArgv(argv: readonly string[], env: Record<string, string>): void {
  let total = 0;
  argv.forEach((arg, index) => {
    if (arg.includes('\0')) {
      throw new ForkscopeError(
        'invalid-argument',
        `Argument ${index} contains a NUL byte, which no program can receive.`,
      );
    }
    total += Buffer.byteLength(arg) + 1;
    if (process.platform === 'linux' && Buffer.byteLength(arg) >= maxOneArgBytes) {
      throw new ForkscopeError(
        'argument-list-too-long',
        `Argument ${index} is longer than the system allows (128 KiB).`,
      );
    }
  });
  for (const [name, value] of Object.entries(env)) {
    if (name.includes('\0') || value.includes('\0') || name.includes('=')) {
      throw new ForkscopeError(
        'invalid-argument',
        `The environment variable "${name.replaceAll('\0', '\\0')}" is not valid.`,
      );
    }
    total += Buffer.byteLength(name) + Buffer.byteLength(value) + 2;
  }
  if (total > maxArgBytes) {
    throw new ForkscopeError(
      'argument-list-too-long',
      `The arguments and environment take ${Math.round(total / 1024)} KiB; the system allows about ${maxArgBytes / 1024} KiB (E2BIG).`,
    );
  }
}

/** Resolves and checks a working directory first: Node would report a missing cwd as "spawn <cmd> ENOENT". */
export async function checkCwd(cwd: string | undefined, base: string): Promise<string> {
  const dir = resolve(base, cwd ?? '.');
  try {
    const info = await stat(dir);
    if (!info.isDirectory())
      throw new ForkscopeError('bad-cwd', `The working directory ${dir} is not a directory.`);
  } catch (error) {
    if (error instanceof ForkscopeError) throw error;
    const code = (error as NodeJS.ErrnoException).code;
    throw new ForkscopeError(
      'bad-cwd',
      code === 'ENOENT'
        ? `The working directory ${dir} does not exist.`
        : `The working directory ${dir} cannot be used (${code}).`,
    );
  }
  return dir;
}

/** The file exec would have tried for `program`: a path as given, a bare name's first match on PATH. */
function located(program: string, cwd: string, searchPath: string | undefined): string | null {
  if (program.includes('/')) return resolve(cwd, program);
  for (const dir of (searchPath ?? '').split(delimiter)) {
    const candidate = resolve(cwd, join(dir || '.', program));
    if (statSync(candidate, { throwIfNoEntry: false })) return candidate;
  }
  return null;
}

/** Why exec answered EACCES, said so that the fix is obvious: a directory is not a program; a file needs +x. */
export function permissionDeniedMessage(
  program: string,
  cwd: string,
  searchPath: string | undefined,
): string {
  const path = located(program, cwd, searchPath);
  if (path && statSync(path, { throwIfNoEntry: false })?.isDirectory()) {
    const where = path === program ? '' : ` (${path})`;
    return `permission denied: ${program} is a directory${where}, not a program. Name the program inside it.`;
  }
  return `permission denied: ${program} (EACCES). Is it executable (chmod +x)?`;
}

/** The child's environment: the host's, with overrides applied (null removes a variable). */
export function mergeEnv(overrides: Record<string, string | null> | undefined): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [name, value] of Object.entries(process.env)) if (value !== undefined) env[name] = value;
  for (const [name, value] of Object.entries(overrides ?? {})) {
    if (value === null) delete env[name];
    else env[name] = value;
  }
  return env;
}
