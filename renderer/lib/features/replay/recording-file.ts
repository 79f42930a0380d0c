import { recordingLineReader, type RecordingHeader } from '../../../../contract/recordings';
import { m } from '../../i18n/messages';

/** One line of a recording after its header: a contract event or one of the recorder's own entries. */
export interface Entry {
  t: number;
  e: string;
  p: unknown;
}

export interface RecordingFile {
  name: string;
  header: RecordingHeader;
  entries: Entry[];
  /** False when the file ends before its end entry (cut short, or a session still being written). */
  complete: boolean;
}

/** A file that is not a recording this Forkscope reads, said in one sentence. */
export class RecordingFileError extends Error {}

/**
 * Reads a recording's bytes (gzip'd JSON lines) in the page, with the rules the Node reader
 * applies (the header check is the contract's): a foreign or newer file is refused in one
 * sentence; a file cut short reads up to its last whole line. Uses the platform's
 * DecompressionStream, so a dropped file never goes to the server.
 */
export async function readRecordingBytes(
  name: string,
  bytes: Uint8Array<ArrayBuffer>,
): Promise<RecordingFile> {
  if (bytes.length < 2 || bytes[0] !== 0x1f || bytes[1] !== 0x8b) {
    throw new RecordingFileError(m.replay_not_recording({ name }));
  }
  const reader = new Blob([bytes]).stream().pipeThrough(new DecompressionStream('gzip')).getReader();
  const decoder = new TextDecoder();
  const { state, take } = recordingLineReader<Entry>(name, (sentence) => new RecordingFileError(sentence));
  let cutShort = false;
  let rest = '';
  reading: for (;;) {
    let chunk: Awaited<ReturnType<typeof reader.read>>;
    try {
      chunk = await reader.read();
    } catch {
      // No gzip trailer: a recording cut short (or a session still being written).
      cutShort = true;
      break;
    }
    if (chunk.done) {
      rest += decoder.decode();
      if (rest !== '' && !take(rest)) cutShort = true;
      break;
    }
    const lines = (rest + decoder.decode(chunk.value, { stream: true })).split('\n');
    rest = lines.pop()!;
    for (const line of lines) {
      if (!take(line)) {
        cutShort = true;
        void reader.cancel();
        break reading;
      }
    }
  }
  const { header, entries, ended } = state;
  if (header === null) {
    throw new RecordingFileError(cutShort ? m.replay_empty_damaged({ name }) : m.replay_empty({ name }));
  }
  return { name, header, entries, complete: ended && !cutShort };
}
