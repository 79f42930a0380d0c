import type { ExitInfo } from '../../../contract';
import { m } from './messages';
import { getLocale } from './paraglide/runtime.js';

/**
 * The engine explains every exit in English (main/engine/exit-meaning.ts: run records, recordings,
 * `forkscope report`). The renderer says the same in the current language from the facts the record
 * already carries — code, signal, who stopped it, an uncaught exception — so the contract needs no
 * message ids and old recordings translate too. tests/unit/i18n.test.ts holds the English here equal
 * to the engine's sentence for every case; a sentence this module does not know (a newer engine's)
 * is shown as the engine wrote it rather than replaced by a wrong one.
 */

type Locale = 'en' | 'zh-CN';
/** A compiled message, called with its inputs and the language to say it in. */
type Message<Inputs = Record<string, never>> = (inputs: Inputs, options: { locale: Locale }) => string;

const signalMeanings: Record<string, Message> = {
  SIGTERM: m.exit_SIGTERM,
  SIGKILL: m.exit_SIGKILL,
  SIGINT: m.exit_SIGINT,
  SIGHUP: m.exit_SIGHUP,
  SIGQUIT: m.exit_SIGQUIT,
  SIGSEGV: m.exit_SIGSEGV,
  SIGABRT: m.exit_SIGABRT,
  SIGBUS: m.exit_SIGBUS,
  SIGFPE: m.exit_SIGFPE,
  SIGILL: m.exit_SIGILL,
  SIGPIPE: m.exit_SIGPIPE,
  SIGALRM: m.exit_SIGALRM,
  SIGUSR1: m.exit_SIGUSR1,
  SIGUSR2: m.exit_SIGUSR2,
  SIGXCPU: m.exit_SIGXCPU,
};

const codeMeanings: Record<number, Message> = {
  0: m.exit_success,
  1: m.exit_code_1,
  2: m.exit_code_2,
  126: m.exit_code_126,
  127: m.exit_code_127,
};

const causes: Record<NonNullable<ExitInfo['stoppedBy']>, Message<{ meaning: string }>> = {
  terminate: m.exit_by_terminate,
  kill: m.exit_by_kill,
  timeout: m.exit_by_timeout,
  shutdown: m.exit_by_shutdown,
};

/** Linux's signal numbers (the renderer has no os.constants), for codes 128 + n. */
const linuxSignals = [
  'SIGHUP',
  'SIGINT',
  'SIGQUIT',
  'SIGILL',
  'SIGTRAP',
  'SIGABRT',
  'SIGBUS',
  'SIGFPE',
  'SIGKILL',
  'SIGUSR1',
  'SIGSEGV',
  'SIGUSR2',
  'SIGPIPE',
  'SIGALRM',
  'SIGTERM',
  'SIGSTKFLT',
  'SIGCHLD',
  'SIGCONT',
  'SIGSTOP',
  'SIGTSTP',
  'SIGTTIN',
  'SIGTTOU',
  'SIGURG',
  'SIGXCPU',
  'SIGXFSZ',
  'SIGVTALRM',
  'SIGPROF',
  'SIGWINCH',
  'SIGIO',
  'SIGPWR',
  'SIGSYS',
];

interface Uncaught {
  language: string;
  error: string;
}

function explainIn(exit: ExitInfo, locale: Locale): string {
  const options = { locale };
  if (exit.signal) {
    const meaning =
      signalMeanings[exit.signal]?.({}, options) ?? m.exit_stopped_by({ signal: exit.signal }, options);
    return exit.stoppedBy ? causes[exit.stoppedBy]({ meaning }, options) : meaning;
  }
  const code = exit.exitcode;
  if (code === null) return m.exit_unknown({}, options);
  // Beside ExitInfo's fields: the uncaught exception a newer engine reads from stderr.
  const uncaught = (exit as ExitInfo & { uncaught?: Uncaught }).uncaught;
  if (uncaught && code !== 0 && !exit.stoppedBy) {
    return uncaught.language === 'python'
      ? m.exit_uncaught_python({ error: uncaught.error }, options)
      : m.exit_uncaught_node({ error: uncaught.error }, options);
  }
  let meaning = codeMeanings[code]?.({}, options);
  const name = code > 128 && code < 128 + 65 ? linuxSignals[code - 129] : undefined;
  if (!meaning && name) meaning = m.exit_child_signal({ signal: name, code, number: code - 128 }, options);
  meaning ??= m.exit_failed_code({ code }, options);
  return exit.stoppedBy ? causes[exit.stoppedBy]({ meaning }, options) : meaning;
}

/** How a run ended, in the current language (the engine's own sentence when this one cannot say it). */
export function explainExit(exit: ExitInfo): string {
  if (explainIn(exit, 'en') !== exit.meaning) return exit.meaning;
  return explainIn(exit, getLocale());
}

/** The English sentence as the renderer would say it: for the test that keeps it equal to the engine's. */
export function explainExitInEnglish(exit: ExitInfo): string {
  return explainIn(exit, 'en');
}
