import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { StringDecoder } from 'node:string_decoder';
import { createGunzip } from 'node:zlib';
import { recordingLineReader } from '../../contract/recordings';
import type { Entry, RecordingHeader } from './format';

/** A file that is not a recording this Forkscope can read, said in one sentence. */
export class RecordingError extends Error {}

export interface Recording {
  header: RecordingHeader;
  entries: Entry[];
  /** False when the file ends before its end entry (cut short by a crash or a full disk). */
  complete: boolean;
}

const gzipMagic = [0x1f, 0x8b];

async function checkReadable(path: string): Promise<void> {
  let handle;
  try {
    handle = await open(path, 'r');
  } catch (error) {
    const err = error as NodeJS.ErrnoException;
    const why =
      err.code === 'ENOENT' ? 'no such file' : err.code === 'EACCES' ? 'permission denied' : err.message;
    throw new RecordingError(`Cannot read ${path}: ${why}.`);
  }
  try {
    const { buffer, bytesRead } = await handle.read(Buffer.alloc(2), 0, 2, 0);
    if ((await handle.stat()).isDirectory())
      throw new RecordingError(`${path} is a folder, not a recording.`);
    if (bytesRead < 2 || buffer[0] !== gzipMagic[0] || buffer[1] !== gzipMagic[1]) {
      throw new RecordingError(`${path} is not a Forkscope recording (it is not gzip-compressed).`);
    }
  } catch (error) {
    if (error instanceof RecordingError) throw error;
    throw new RecordingError(`Cannot read ${path}: ${(error as Error).message}.`);
  } finally {
    await handle.close();
  }
}

/**
 * Reads a whole recording. A file cut short reads up to its last complete line (`complete`
 * false); a foreign file, or one from a newer Forkscope, is refused with a RecordingError.
 */
export async function readRecording(path: string): Promise<Recording> {
  await checkReadable(path);
  const { state, take } = recordingLineReader<Entry>(path, (sentence) => new RecordingError(sentence));
  let cutShort = false;
  await new Promise<void>((resolve, reject) => {
    const decoder = new StringDecoder('utf8');
    const gunzip = createGunzip();
    const source = createReadStream(path);
    let rest = '';
    let done = false;
    const finish = (error?: unknown) => {
      if (done) return;
      done = true;
      source.destroy();
      gunzip.destroy();
      if (error) reject(error instanceof Error ? error : new Error(String(error)));
      else resolve();
    };
    gunzip.on('data', (chunk: Buffer) => {
      if (done) return;
      const lines = (rest + decoder.write(chunk)).split('\n');
      rest = lines.pop()!;
      try {
        for (const line of lines) {
          if (!take(line)) {
            cutShort = true;
            finish();
            return;
          }
        }
      } catch (error) {
        finish(error);
      }
    });
    gunzip.on('end', () => {
      try {
        if (rest !== '' && !take(rest + decoder.end())) cutShort = true;
        finish();
      } catch (error) {
        finish(error);
      }
    });
    // zlib says "unexpected end of file" for a stream without its gzip trailer: a recording cut short.
    gunzip.on('error', () => {
      cutShort = true;
      finish();
    });
    source.on('error', (error) => finish(new RecordingError(`Cannot read ${path}: ${error.message}.`)));
    source.pipe(gunzip);
  });
  const { header, entries, ended } = state;
  if (header === null) {
    throw new RecordingError(
      `${path} is not a Forkscope recording (it is empty${cutShort ? ' or damaged' : ''}).`,
    );
  }
  return { header, entries, complete: ended && !cutShort };
}
