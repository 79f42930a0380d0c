import type { EventName } from '../../contract';
import type { RecordingLimits } from '../../contract/recordings';

/**
 * A Forkscope recording (`.fsrec`): gzip-compressed JSON lines, appended as things happen.
 *
 * Line 1 is the header ({@link RecordingHeader}). Every other line is one entry,
 * `{"t": <epoch ms>, "e": <name>, "p": <payload>}`: either a contract event exactly as a transport
 * sends it (`runs.updated`, `pools.tasks`…, so a replay feeds the renderer's own stores), or one of
 * the recorder's own entries, named `recording.*` ({@link RecorderEntries}).
 *
 * The gzip stream is flushed every second: a recording cut short (a crash, a full disk) still
 * reads up to its last flush, and the reader says it is incomplete.
 */
export { recordingExtension, recordingFormat, recordingVersion } from '../../contract/recordings';
export type { RecordingHeader, RecordingLimits } from '../../contract/recordings';

/** The recorder's own entries; contract events are recorded under their own names. */
export interface RecorderEntries {
  /**
   * A `pools.tasks` batch column by column (version 2; contract/recording-columns.ts): readers
   * give it back as that event.
   */
  'recording.taskColumns': unknown;
  /** Every task of a pool as it stood when recording ended (events may have been coalesced). */
  'recording.tasks': { poolId: string; tasks: unknown[] };
  /** Every item of a queue with its lineage, and who its actors were. */
  'recording.items': { queueId: string; items: unknown[]; actors: unknown[] };
  /** The descendant lanes of a run whose tree was tracked. */
  'recording.descendants': unknown;
  /** What the Python lens saw in a run: its processes, their waits and signals. */
  'recording.lens': unknown;
  /** The budget ran out: no more events from here (the closing entries still come). */
  'recording.truncated': { reason: string; bytes: number };
  /** The last entry of a complete recording. */
  'recording.end': RecordingEnd;
}

export interface RecordingEnd {
  endedAt: number;
  entries: number;
  /** Uncompressed bytes of entries. */
  bytes: number;
  /** Events not recorded after the budget ran out. */
  droppedEvents: number;
  /** Output lines not recorded past the output limit (their counts still are). */
  droppedLines: number;
  /** `forkscope record`: how the program ended, as a shell would report it. */
  exitStatus?: number;
}

export type EntryName = EventName | keyof RecorderEntries;

export interface Entry {
  t: number;
  e: EntryName;
  p: unknown;
}

/**
 * Events left out of recordings: the whole machine's process table is not the session's, and not
 * the recorder's to send to someone else; nor is what other hosts relay (their runs, their machines).
 */
export const unrecordedEvents: ReadonlySet<string> = new Set([
  'system.diff',
  'system.settings',
  'hosts.event',
  'hosts.updated',
  'hosts.removed',
]);

export const defaultLimits: RecordingLimits = {
  maxBytes: 256 * 1024 * 1024,
  maxOutputBytes: 16 * 1024 * 1024,
};
