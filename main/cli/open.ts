import { readRecording, RecordingError } from '../recording/reader';
import { CliError } from './cli-error';

/**
 * `forkscope open FILE`. The file is checked first, so a foreign or newer file is refused as
 * `report` refuses it. Replaying in the app (the time scrubber) is not built yet: this says so
 * plainly rather than opening an app that would show nothing of the recording.
 */
export async function open(args: string[], _entryUrl: string): Promise<number> {
  if (args.length !== 1 || args[0]!.startsWith('-'))
    throw new CliError('say which recording: forkscope open FILE', 2);
  try {
    await readRecording(args[0]!);
  } catch (error) {
    if (error instanceof RecordingError) throw new CliError(error.message, 1);
    throw error;
  }
  throw new CliError(
    `replaying a recording in the app is not built yet; \`forkscope report ${args[0]}\` shows what it holds.`,
    3,
  );
}
