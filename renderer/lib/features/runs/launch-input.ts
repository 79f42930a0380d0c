import type { LaunchParams, RunRecord } from '../../../../contract';
import { m } from '../../i18n/messages';

/** What the launch form holds, as typed. */
export interface LaunchDraft {
  program: string;
  /** One argument per line, taken literally: no quoting, no globbing. Blank lines are ignored. */
  args: string;
  /** A `-c`/`-e` line takes all the lines after it as one argument: a multi-line script. */
  scriptAfterFlag: boolean;
  cwd: string;
  /** KEY=VALUE per line; `-KEY` removes KEY from the inherited environment; `#` starts a comment. */
  env: string;
  label: string;
  input: string;
  closeStdin: boolean;
  shell: boolean;
  /** The Python lens for a Python program (off: the run is not watched from inside). */
  lens: boolean;
  /** Seconds, empty for none. */
  timeout: string;
}

export const emptyDraft: LaunchDraft = {
  program: '',
  args: '',
  scriptAfterFlag: true,
  cwd: '',
  env: '',
  label: '',
  input: '',
  closeStdin: true,
  shell: false,
  lens: true,
  timeout: '',
};

export type Parsed<T> = { ok: true; value: T } | { ok: false; field: keyof LaunchDraft; message: string };

/** The flags whose next argument is a program text (python -c, node/perl/ruby -e, sh -c). */
const scriptFlags = new Set(['-c', '-e', '--eval']);

/**
 * Where a multi-line script starts: the index of the line after a `-c`/`-e` line when more than one
 * (non-blank) line follows it, else -1. Only then does “one argument per line” make a difference.
 */
export function multiLineScriptAt(text: string): number {
  const lines = text.split(/\r?\n/);
  const flag = lines.findIndex((line) => scriptFlags.has(line.trim()));
  if (flag < 0) return -1;
  const after = lines.slice(flag + 1).filter((line) => line.trim() !== '');
  return after.length > 1 ? flag + 1 : -1;
}

/**
 * One argument per line, literally, blank lines ignored. With `scriptAfterFlag`, everything after a
 * `-c`/`-e` line is one argument (its lines joined by newlines, blank ones kept, outer ones trimmed).
 */
export function parseArgs(text: string, scriptAfterFlag = false): string[] {
  const lines = text.split(/\r?\n/);
  const at = scriptAfterFlag ? multiLineScriptAt(text) : -1;
  const args = (at < 0 ? lines : lines.slice(0, at)).filter((line) => line.trim() !== '');
  if (at >= 0) {
    const script = lines.slice(at);
    while (script[0]?.trim() === '') script.shift();
    while (script.at(-1)?.trim() === '') script.pop();
    args.push(script.join('\n'));
  }
  return args;
}

/** The parameters to launch a finished command again: its argv (or shell line), cwd and label. */
export function rerunParams(record: RunRecord): LaunchParams {
  const params: LaunchParams = record.shell
    ? { program: record.argv.at(-1) ?? '', args: [], shell: true }
    : { program: record.argv[0] ?? '', args: record.argv.slice(1), shell: false };
  return { ...params, cwd: record.cwd, label: record.label };
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
        message: m.launch_problem_env({ line: index + 1, text: line }),
      };
    }
    env[key] = raw.slice(equals + 1);
  }
  return { ok: true, value: env };
}

/** The form as `runs.launch` parameters, or the first thing to fix. */
export function draftToParams(draft: LaunchDraft): Parsed<LaunchParams> {
  const program = draft.program.trim();
  if (!program) return { ok: false, field: 'program', message: m.launch_problem_program() };
  const env = parseEnv(draft.env);
  if (!env.ok) return env;
  let timeoutMs: number | undefined;
  if (draft.timeout.trim() !== '') {
    const seconds = Number(draft.timeout);
    if (!Number.isFinite(seconds) || seconds <= 0) {
      return { ok: false, field: 'timeout', message: m.launch_problem_timeout() };
    }
    timeoutMs = Math.max(1, Math.round(seconds * 1000));
  }
  const params: LaunchParams = {
    program,
    args: parseArgs(draft.args, draft.scriptAfterFlag),
    shell: draft.shell,
    closeStdin: draft.input !== '' && draft.closeStdin,
    lens: draft.lens ? 'auto' : 'off',
  };
  if (draft.cwd.trim()) params.cwd = draft.cwd.trim();
  if (Object.keys(env.value).length > 0) params.env = env.value;
  if (draft.label.trim()) params.label = draft.label.trim();
  if (draft.input !== '') params.input = draft.input;
  if (timeoutMs !== undefined) params.timeoutMs = timeoutMs;
  return { ok: true, value: params };
}
