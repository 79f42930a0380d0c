import { chmodSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { z } from 'zod';
import { hostId, serveUrl, type HostsMemoryProblem } from '../../contract/hosts';

/**
 * A remembered host's token as it is stored: sealed by the desktop app's `safeStorage` (the OS
 * keychain's key), or as it is in a file only its owner can read (serve mode, or no keychain).
 */
const storedToken = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('file'), token: z.string().min(1).max(512) }),
  z.object({ kind: z.literal('safeStorage'), sealed: z.string().min(1).max(4096) }),
]);
export type StoredToken = z.infer<typeof storedToken>;

const rememberedHost = z.object({
  id: hostId,
  name: z.string().trim().min(1).max(80),
  url: serveUrl,
  via: z.number().int().min(1).max(65535).nullable(),
  token: storedToken,
});
export type RememberedHost = z.infer<typeof rememberedHost>;

const hostsFile = z.object({
  version: z.literal(1),
  hosts: z
    .array(rememberedHost)
    .max(1000)
    .refine(
      (hosts) => new Set(hosts.map((host) => host.id)).size === hosts.length,
      'two hosts have the same id',
    ),
});

export type HostsFileRead = { hosts: RememberedHost[]; problem: HostsMemoryProblem | null };

/**
 * Reads the remembered hosts. No file is no hosts; a file that cannot be read, or is not JSON of
 * this shape, is one problem and no hosts — a damaged one is moved aside first, so the next save
 * does not overwrite what a person may want to look at.
 */
export function readHostsFile(path: string): HostsFileRead {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return { hosts: [], problem: null };
    return {
      hosts: [],
      problem: { kind: 'unreadable', file: path, detail: code ?? String(error), movedTo: null },
    };
  }
  let detail: string;
  try {
    const parsed = hostsFile.safeParse(JSON.parse(text));
    if (parsed.success) return { hosts: parsed.data.hosts, problem: null };
    const issue = parsed.error.issues[0];
    detail = `${issue?.path.join('.') || 'the file'}: ${issue?.message ?? 'not a hosts file'}`;
  } catch (error) {
    detail = (error as Error).message;
  }
  const movedTo = `${path}.damaged`;
  try {
    renameSync(path, movedTo);
    return { hosts: [], problem: { kind: 'damaged', file: path, detail, movedTo } };
  } catch {
    return { hosts: [], problem: { kind: 'damaged', file: path, detail, movedTo: null } };
  }
}

/**
 * Writes the remembered hosts whole: a temporary file only its owner may read (tokens may be in
 * it), then renamed over the old one, so a crash mid-write leaves the previous list, never half.
 */
export function writeHostsFile(path: string, hosts: readonly RememberedHost[]): void {
  mkdirSync(dirname(path), { recursive: true });
  const temporary = `${path}.${process.pid}.tmp`;
  writeFileSync(temporary, `${JSON.stringify({ version: 1, hosts }, null, 2)}\n`, { mode: 0o600 });
  // The mode given above is masked by the umask and ignored for an existing file: made exact here.
  chmodSync(temporary, 0o600);
  renameSync(temporary, path);
}

/** The problem in one English line, for serve mode's and the desktop app's output. */
export function describeHostsProblem(problem: HostsMemoryProblem): string {
  if (problem.kind === 'unwritable')
    return `the hosts could not be remembered in ${problem.file} (${problem.detail})`;
  if (problem.kind === 'unreadable')
    return `the remembered hosts could not be read from ${problem.file} (${problem.detail}); starting with none`;
  const moved = problem.movedTo ? `; it was moved to ${problem.movedTo}` : '';
  return `the remembered hosts file ${problem.file} is damaged (${problem.detail})${moved}; starting with no hosts`;
}
