import type { LaunchParams } from '../../../../contract';

/** What the launch form holds, as typed. */
export interface LaunchDraft {
  program: string;
  /** One argument per line, taken literally: no quoting, no globbing. Blank lines are ignored. */
  args: string;
  cwd: string;
  /** KEY=VALUE per line; `-KEY` removes KEY from the inherited environment; `#` starts a comment. */
  env: string;
  label: string;
  input: string;
  closeStdin: boolean;
  shell: boolean;
  /** Seconds, empty for none. */
  timeout: string;
}

export const emptyDraft: LaunchDraft = {
  program: '',
  args: '',
  cwd: '',
  env: '',
  label: '',
  input: '',
  closeStdin: true,
  shell: false,
  timeout: '',
};

export type Parsed<T> = { ok: true; value: T } | { ok: false; field: keyof LaunchDraft; message: string };

export function parseArgs(text: string): string[] {
  return text.split(/\r?\n/).filter((line) => line.trim() !== '');
}

export function parseEnv(text: string): Parsed<Record<string, string | null>> {
  const env: Record<string, string | null> = {};
  const lines = text.split(/\r?\n/);
  for (const [index, raw] of lines.entries()) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const unset = /^-([A-Za-z_][A-Za-z0-9_]*)$/.exec(line);
    if (unset) {
      env[unset[1]!] = null;
      continue;
    }
    const equals = raw.indexOf('=');
    const key = equals > 0 ? raw.slice(0, equals).trim() : '';
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(key)) {
      return {
        ok: false,
        field: 'env',
        message: `Environment line ${index + 1} (“${line}”) is not KEY=VALUE or -KEY.`,
      };
    }
    env[key] = raw.slice(equals + 1);
  }
  return { ok: true, value: env };
}

/** The form as `runs.launch` parameters, or the first thing to fix. */
export function draftToParams(draft: LaunchDraft): Parsed<LaunchParams> {
  const program = draft.program.trim();
  if (!program) return { ok: false, field: 'program', message: 'Say which program to run.' };
  const env = parseEnv(draft.env);
  if (!env.ok) return env;
  let timeoutMs: number | undefined;
  if (draft.timeout.trim() !== '') {
    const seconds = Number(draft.timeout);
    if (!Number.isFinite(seconds) || seconds <= 0) {
      return { ok: false, field: 'timeout', message: 'The timeout is a number of seconds above 0.' };
    }
    timeoutMs = Math.max(1, Math.round(seconds * 1000));
  }
  const params: LaunchParams = {
    program,
    args: parseArgs(draft.args),
    shell: draft.shell,
    closeStdin: draft.input !== '' && draft.closeStdin,
  };
  if (draft.cwd.trim()) params.cwd = draft.cwd.trim();
  if (Object.keys(env.value).length > 0) params.env = env.value;
  if (draft.label.trim()) params.label = draft.label.trim();
  if (draft.input !== '') params.input = draft.input;
  if (timeoutMs !== undefined) params.timeoutMs = timeoutMs;
  return { ok: true, value: params };
}
