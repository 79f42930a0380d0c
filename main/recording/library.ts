import { open, readdir, stat } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { ForkscopeError } from '../../contract/errors';
import { recordingChunkBytes, type RecordingInfo } from '../../contract/recordings';
import { sessionRecordingName } from './session';

/**
 * The recordings the API may serve: each kept session's (`<log root>/<session>/session.fsrec`)
 * and the files given on the command line (`forkscope open FILE`). The page names them by id and
 * never by path, so no caller can read any other file.
 */
export class RecordingLibrary {
  readonly #root: string;
  readonly #current: string;
  readonly #opened: string[];

  constructor(options: { logDir: string; opened?: string[] }) {
    this.#current = resolve(options.logDir);
    this.#root = dirname(this.#current);
    this.#opened = (options.opened ?? []).map((path) => resolve(path));
  }

  async list(): Promise<RecordingInfo[]> {
    const found: RecordingInfo[] = [];
    for (const [index, path] of this.#opened.entries()) {
      const info = await this.#info(`file:${index + 1}`, basename(path), path, true);
      if (info) found.push(info);
    }
    let folders: string[] = [];
    try {
      folders = await readdir(this.#root);
    } catch {
      // No log root yet: no past sessions.
    }
    const sessions: RecordingInfo[] = [];
    for (const folder of folders) {
      const info = await this.#info(
        `session:${folder}`,
        folder,
        join(this.#root, folder, sessionRecordingName),
      );
      if (info) sessions.push(info);
    }
    sessions.sort((a, b) => b.modifiedAt - a.modifiedAt || b.name.localeCompare(a.name));
    return [...found, ...sessions];
  }

  async #info(id: string, name: string, path: string, opened = false): Promise<RecordingInfo | null> {
    try {
      const stats = await stat(path);
      if (!stats.isFile()) return null;
      return {
        id,
        name,
        path,
        bytes: stats.size,
        modifiedAt: stats.mtimeMs,
        current: dirname(path) === this.#current,
        opened,
      };
    } catch {
      return null;
    }
  }

  /** The path of a recording the list names; anything else is not found. */
  async #pathOf(id: string): Promise<string> {
    const match = /^file:(\d+)$/.exec(id);
    if (match) {
      const path = this.#opened[Number(match[1]) - 1];
      if (path) return path;
    } else if (id.startsWith('session:')) {
      const folder = id.slice('session:'.length);
      // One folder name, as the list gives it: no separators, no `..`.
      if (/^[\w.-]+$/.test(folder) && folder !== '.' && folder !== '..') {
        return join(this.#root, folder, sessionRecordingName);
      }
    }
    throw new ForkscopeError('not-found', `There is no recording "${id}". Choose one from the list.`);
  }

  /** Up to {@link recordingChunkBytes} of the file from `offset`, as stored (gzip), in base64. */
  async read(id: string, offset: number) {
    const path = await this.#pathOf(id);
    let handle;
    try {
      handle = await open(path, 'r');
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      throw new ForkscopeError(
        'not-found',
        `Cannot read the recording ${basename(dirname(path))}/${basename(path)}: ${code === 'ENOENT' ? 'it is gone' : (error as Error).message}.`,
      );
    }
    try {
      const size = (await handle.stat()).size;
      const length = Math.max(0, Math.min(recordingChunkBytes, size - offset));
      const buffer = Buffer.alloc(length);
      const { bytesRead } = length > 0 ? await handle.read(buffer, 0, length, offset) : { bytesRead: 0 };
      return {
        data: buffer.subarray(0, bytesRead).toString('base64'),
        offset,
        size,
        done: offset + bytesRead >= size,
      };
    } finally {
      await handle.close();
    }
  }
}
