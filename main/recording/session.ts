import { join } from 'node:path';
import { startRecorder, type RecordedHost, type Recorder } from './recorder';

/** The app's and serve mode's recording: one per session, beside its logs. */
export const sessionRecordingName = 'session.fsrec';

/**
 * Starts recording a session into its log folder. A recording that cannot be written must not stop
 * Forkscope from starting (the logs already said whether the folder is writable): it is said once
 * and the session goes on unrecorded.
 */
export function recordSession(host: RecordedHost, logDir: string, version?: string): Recorder | null {
  const path = join(logDir, sessionRecordingName);
  try {
    const recorder = startRecorder(host, path, { version });
    return recorder;
  } catch (error) {
    console.error(
      `forkscope: this session is not recorded: cannot write ${path}: ${(error as Error).message}`,
    );
    return null;
  }
}
