import { z } from 'zod';
import { method } from './define';
import { decodeTaskColumns, taskColumnsEntry } from './recording-columns';

/**
 * Recordings (`.fsrec`) as the API serves them, and the file format's checks, shared by the
 * reader in Node (`main/recording/reader.ts`) and the renderer's replay (a dropped file is read
 * in the page): one set of rules for what is a recording this Forkscope can read.
 */
export const recordingFormat = 'forkscope-recording';
/**
 * Raised only for a change old readers would misread; readers refuse newer versions and read
 * every older one. 2: task batches as `recording.taskColumns` (contract/recording-columns.ts).
 */
export const recordingVersion = 2;
export const recordingExtension = '.fsrec';

export const recordingInfo = z.object({
  /** `session:<folder>` for a session's recording, `file:<n>` for a file given to `forkscope open`. */
  id: z.string(),
  /** What to call it: the session folder's name, or the file's name. */
  name: z.string(),
  path: z.string(),
  bytes: z.number().int(),
  modifiedAt: z.number(),
  /** This very session (still being written: it reads as cut short at its last flush). */
  current: z.boolean(),
  /** Given on the command line (`forkscope open FILE`): the page opens it at once. */
  opened: z.boolean(),
});
export type RecordingInfo = z.infer<typeof recordingInfo>;

/** Bytes of the file per `recordings.read` answer: well under a WebSocket client's budget. */
export const recordingChunkBytes = 1024 * 1024;

export const recordingMethods = {
  'recordings.list': method(
    'The recordings this Forkscope can open: every kept session’s, newest first, and the files given to `forkscope open`.',
    z.object({}).default({}),
    z.array(recordingInfo),
  ),
  'recordings.read': method(
    'A part of a recording file as it is on disk (gzip), base64; the page decodes it as it decodes a dropped file.',
    z.object({ id: z.string().max(300), offset: z.number().int().min(0).default(0) }),
    z.object({ data: z.string(), offset: z.number().int(), size: z.number().int(), done: z.boolean() }),
  ),
};

const recordingLimits = z.object({
  /** Uncompressed bytes of entries past which events are no longer recorded (the closing entries still are). */
  maxBytes: z.number(),
  /** Bytes of output line text recorded; past it, output events keep their counts but no lines. */
  maxOutputBytes: z.number(),
});
export type RecordingLimits = z.infer<typeof recordingLimits>;

/** Line 1 of a recording: a file is untrusted input, so it is checked whole before anything reads it. */
const recordingHeader = z.looseObject({
  format: z.literal(recordingFormat),
  version: z.number().int(),
  /** Epoch ms when recording began. */
  createdAt: z.number().finite(),
  /** The Forkscope version that wrote it. */
  forkscope: z.string(),
  host: z.looseObject({ pid: z.number().int(), platform: z.string(), hostname: z.string() }),
  /** What `forkscope record` ran, or null for a session of the app or serve mode. */
  command: z.array(z.string()).nullable(),
  limits: recordingLimits,
});
export type RecordingHeader = z.infer<typeof recordingHeader>;

/** Why a file is not a recording this Forkscope reads, in one sentence that names it. */
export function recordingHeaderProblem(name: string, line: string | undefined): string | null {
  let header: Partial<RecordingHeader> | null = null;
  try {
    header = JSON.parse(line ?? '') as Partial<RecordingHeader>;
  } catch {
    // Reported below, as any other foreign file.
  }
  if (!header || typeof header !== 'object' || header.format !== recordingFormat) {
    return `${name} is not a Forkscope recording (its first line is not a recording header).`;
  }
  if (typeof header.version !== 'number' || header.version > recordingVersion) {
    return (
      `${name} was written by a newer Forkscope (recording format version ${String(header.version)}; ` +
      `this one reads up to ${recordingVersion}). Update Forkscope to read it.`
    );
  }
  const checked = recordingHeader.safeParse(header);
  if (!checked.success) {
    const issue = checked.error.issues[0]!;
    return `${name} is a damaged recording: its header's ${issue.path.join('.') || 'content'} is wrong (${issue.message}).`;
  }
  return null;
}

/**
 * Takes a recording's text one line at a time, as both readers do: the header first (a foreign
 * or newer file is refused with `refuse(sentence)`), then one entry per line. `take` returns
 * false at a line torn by a cut: what came before it is all there is.
 */
export function recordingLineReader<Entry extends { e: string; p: unknown }>(
  name: string,
  refuse: (sentence: string) => Error,
) {
  const state = { header: null as RecordingHeader | null, entries: [] as Entry[], ended: false };
  const take = (line: string): boolean => {
    if (state.header === null) {
      const problem = recordingHeaderProblem(name, line);
      if (problem !== null) throw refuse(problem);
      state.header = JSON.parse(line) as RecordingHeader;
      return true;
    }
    if (line === '') return true;
    let entry: Entry;
    try {
      entry = JSON.parse(line) as Entry;
    } catch {
      return false;
    }
    if (entry.e === taskColumnsEntry) {
      // Read as the event it was made from: nothing past the reader knows the compact form.
      const tasks = decodeTaskColumns(entry.p);
      if (tasks === null) return false;
      entry = { ...entry, e: 'pools.tasks', p: tasks } as Entry;
    }
    state.entries.push(entry);
    if (entry.e === 'recording.end') state.ended = true;
    return true;
  };
  return { state, take };
}
