import type { OutputLine } from '../../contract';

/** A program that ended on an exception it did not catch, as its stderr tail shows it. */
export interface Uncaught {
  language: 'python' | 'node';
  /** The exception's last line as printed: "ValueError: bad input", "Error: boom". */
  error: string;
  /** Where its report starts in the run's output ("Traceback (most recent call last):"). */
  seq: number;
}

const pythonTraceback = 'Traceback (most recent call last):';
/** Between the tracebacks of a chained exception. */
const pythonChain = [
  'During handling of the above exception, another exception occurred:',
  'The above exception was the direct cause of the following exception:',
];
/** An exception's message may run over a few lines; more than this after it is something else. */
const maxMessageLines = 20;
const nodeFooter = /^Node\.js v\d+\.\d+\.\d+/;
const nodeFrame = /^\s+at .+/;
const nodeCaret = /^\s*\^+\s*$/;

function python(lines: readonly OutputLine[], last: number): Uncaught | null {
  // The newest traceback; its exception is the first line after it at the left margin (frames
  // and their source are indented), and ends the output but for its message's further lines.
  let traceback = -1;
  for (let index = last - 1; index >= Math.max(0, last - 2000) && traceback < 0; index--) {
    if (lines[index]!.text === pythonTraceback) traceback = index;
  }
  if (traceback < 0) return null;
  let errorAt = traceback + 1;
  while (errorAt <= last && /^(\s|$)/.test(lines[errorAt]!.text)) errorAt++;
  if (errorAt > last || last - errorAt > maxMessageLines) return null;
  const error = lines[errorAt]!.text.trimEnd();
  if (!/^[A-Za-z_][\w.]*(?::|$)/.test(error)) return null;
  // A chained exception: its report begins at the first traceback of the chain.
  let start = traceback;
  for (;;) {
    let before = start - 1;
    while (before >= 0 && lines[before]!.text.trim() === '') before--;
    if (before < 0 || !pythonChain.includes(lines[before]!.text.trim())) break;
    let previous = before - 1;
    while (previous >= 0 && lines[previous]!.text !== pythonTraceback) previous--;
    if (previous < 0) break;
    start = previous;
  }
  return { language: 'python', error, seq: lines[start]!.seq };
}

function node(lines: readonly OutputLine[], last: number): Uncaught | null {
  if (!nodeFooter.test(lines[last]!.text)) return null;
  // The report: "file:line", the source line, a caret under the throw, a blank line, the error and
  // its stack ("    at …"), then "Node.js vX". Without a caret, the line before the first frame.
  let caret = -1;
  for (let index = last - 1; index >= 2; index--) {
    if (nodeCaret.test(lines[index]!.text) && /:\d+$/.test(lines[index - 2]!.text)) {
      caret = index;
      break;
    }
  }
  let errorAt = -1;
  if (caret >= 0) {
    errorAt = caret + 1;
    while (errorAt < last && lines[errorAt]!.text.trim() === '') errorAt++;
  } else {
    for (let index = 0; index < last - 1; index++) {
      if (!nodeFrame.test(lines[index]!.text) && nodeFrame.test(lines[index + 1]!.text)) {
        errorAt = index;
        break;
      }
    }
  }
  if (errorAt < 0 || errorAt >= last) return null;
  const start = caret >= 0 ? caret - 2 : errorAt;
  return { language: 'node', error: lines[errorAt]!.text.trim(), seq: lines[start]!.seq };
}

/**
 * The uncaught exception a program ended on, read from the newest lines of its output: Python's
 * traceback (its last stderr line is the exception) or Node's report (ending "Node.js vX"). Null
 * when the tail says nothing of the kind. Only stderr lines count.
 */
export function findUncaught(tail: readonly OutputLine[]): Uncaught | null {
  const lines = tail.filter((line) => line.stream === 'stderr');
  let last = lines.length - 1;
  while (last >= 0 && lines[last]!.text.trim() === '') last--;
  if (last < 1) return null;
  return node(lines, last) ?? python(lines, last);
}

/** The sentence a run's exit gets instead of "a general error". */
export function uncaughtMeaning(uncaught: Uncaught): string {
  return uncaught.language === 'python'
    ? `Python raised an exception (see the traceback on stderr): ${uncaught.error}`
    : `Node.js ended on an uncaught exception (see the stack trace on stderr): ${uncaught.error}`;
}
