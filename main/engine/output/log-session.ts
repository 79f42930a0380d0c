import {
  closeSync,
  constants,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeSync,
} from 'node:fs';
import { join } from 'node:path';

/**
 * Marks a folder as one session of Forkscope's logs. Retention deletes only folders that hold it,
 * so pointing `--log-dir` at a folder with other things in it never costs those things.
 */
export const sessionMarker = '.forkscope-session';

/**
 * Creates a file that did not exist, never through a symlink: a file or link planted at `path`
 * makes this fail (EEXIST / ELOOP) instead of truncating or writing through to its target. Forkscope
 * often runs as root, where a planted link would otherwise overwrite any file on the machine.
 */
export const exclusiveCreateFlags =
  constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | (constants.O_NOFOLLOW ?? 0);

/** Logs are other people's output: only their owner may read them. */
export const logFileMode = 0o600;
export const logFolderMode = 0o700;

export class LogFolderError extends Error {
  constructor(
    readonly folder: string,
    cause: unknown,
  ) {
    const error = cause as NodeJS.ErrnoException;
    super(`Cannot write logs to ${folder}: ${error.code ?? 'error'}: ${error.message}`);
  }
}

export interface Retention {
  /** Session folders kept, newest first, the current one included. */
  sessions: number;
  /** Session folders older than this are deleted, however few there are. */
  maxAgeDays: number;
}

export const defaultRetention: Retention = { sessions: 20, maxAgeDays: 14 };

interface Marker {
  startedAt: number;
  pid: number;
}

/**
 * A new folder for this session's logs under `root`, made exclusively (a previous session's logs
 * are never reused or overwritten), 0700, with the session marker in it. Creating the folder and
 * the marker is also the proof that logs can be written there: any failure is a LogFolderError
 * that names the folder, so the caller can say it in one line at start.
 */
export function openLogSession(root: string, now = new Date()): string {
  try {
    mkdirSync(root, { recursive: true, mode: logFolderMode });
  } catch (error) {
    throw new LogFolderError(root, error);
  }
  const stamp = now.toISOString().replaceAll(':', '-').replace(/\..*/, '');
  for (let attempt = 0; ; attempt++) {
    const folder = join(root, `${stamp}-${process.pid}${attempt === 0 ? '' : `-${attempt}`}`);
    try {
      // Not recursive: an existing folder (or a link planted in its place) must fail, not be reused.
      mkdirSync(folder, { mode: logFolderMode });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'EEXIST' && attempt < 100) continue;
      throw new LogFolderError(root, error);
    }
    try {
      const marker: Marker = { startedAt: now.getTime(), pid: process.pid };
      const fd = openSync(join(folder, sessionMarker), exclusiveCreateFlags, logFileMode);
      try {
        writeSync(fd, JSON.stringify(marker));
      } finally {
        closeSync(fd);
      }
    } catch (error) {
      rmSync(folder, { recursive: true, force: true });
      throw new LogFolderError(folder, error);
    }
    return folder;
  }
}

/** When a session folder under `root` started, or null if Forkscope did not make it. */
function sessionStart(folder: string): number | null {
  try {
    const marker = JSON.parse(readFileSync(join(folder, sessionMarker), 'utf8')) as Partial<Marker>;
    return typeof marker.startedAt === 'number' ? marker.startedAt : null;
  } catch {
    return null;
  }
}

/**
 * Deletes the session folders under `root` past the retention limits (whichever comes first), never
 * `current`, never a folder without the marker. Returns the folders deleted. Failures to delete are
 * left for the next start: retention must never stop Forkscope from starting.
 */
export function pruneLogSessions(
  root: string,
  current: string,
  retention: Retention = defaultRetention,
  now = Date.now(),
): string[] {
  let names: string[];
  try {
    names = readdirSync(root, { withFileTypes: true })
      .filter((entry) => entry.isDirectory())
      .map((entry) => entry.name);
  } catch {
    return [];
  }
  const sessions = names
    .map((name) => ({ folder: join(root, name), startedAt: sessionStart(join(root, name)) }))
    .filter((session): session is { folder: string; startedAt: number } => session.startedAt !== null)
    .filter((session) => session.folder !== current)
    .sort((a, b) => b.startedAt - a.startedAt);
  const oldest = now - retention.maxAgeDays * 24 * 3600_000;
  const deleted: string[] = [];
  sessions.forEach((session, index) => {
    if (index < retention.sessions - 1 && session.startedAt >= oldest) return;
    try {
      rmSync(session.folder, { recursive: true, force: true });
      deleted.push(session.folder);
    } catch {
      // Someone else's permissions or a busy mount: try again next start.
    }
  });
  return deleted;
}
