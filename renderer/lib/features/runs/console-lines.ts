import { AnsiUp } from 'ansi_up';
import type { OutputLine, StreamName, UnfinishedLines } from '../../../../contract';
import { formatCount } from '../../components/format';

/**
 * A row of the console: a line the run wrote, or (stream `stdin`, `echo` set) a local echo of what
 * was sent to its stdin. Echoes exist only in this page; they are never part of the run's output.
 */
export interface ConsoleLine {
  seq: number;
  stream: StreamName | 'stdin';
  t: number;
  text: string;
  /** Bytes of a long line held only in the log (the server keeps a long line's head). */
  continuedBytes?: number;
  echo?: true;
}

// CSI sequences (colours, cursor moves) and OSC sequences (titles, hyperlinks).
// eslint-disable-next-line no-control-regex
const ansiPattern = /\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b[@-Z\\-_]/g;

export function stripAnsi(text: string): string {
  return text.includes('\x1b') ? text.replace(ansiPattern, '') : text;
}

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (char) => `&#${char.charCodeAt(0)};`);
}

const htmlCache = new WeakMap<ConsoleLine, string>();

/**
 * What a terminal shows of a line with carriage returns (progress bars): each \r goes back to the
 * start of the line and what follows overwrites what was there.
 */
export function overstrike(text: string): string {
  if (!text.includes('\r')) return text;
  let shown = '';
  for (const part of text.split('\r')) shown = part + shown.slice(part.length);
  return shown;
}

/**
 * A line as safe HTML with its ANSI colours. ansi_up escapes the text itself; each line gets a
 * fresh converter so a colour left open by one line (or by the other stream) never leaks into
 * the next. Lines without escapes skip ansi_up entirely, and the result is cached per line.
 */
export function lineHtml(line: ConsoleLine): string {
  let html = htmlCache.get(line);
  if (html === undefined) {
    const text = overstrike(line.text);
    if (text.includes('\x1b')) {
      const converter = new AnsiUp();
      converter.use_classes = true;
      html = converter.ansi_to_html(text);
    } else {
      html = escapeHtml(text);
    }
    htmlCache.set(line, html);
  }
  return html;
}

/** What the console says after a line held only in part: how much more of it the log on disk has. */
export function continuedNote(bytes: number): string {
  return `… line continues in the log (${formatCount(bytes)} bytes)`;
}

/** A line's plain text with every case-insensitive match of `query` wrapped in <mark>, escaped. */
export function highlightHtml(text: string, query: string): string {
  const plain = stripAnsi(overstrike(text));
  const lower = plain.toLowerCase();
  const needle = query.toLowerCase();
  let html = '';
  let from = 0;
  let at = lower.indexOf(needle);
  while (at !== -1) {
    html += `${escapeHtml(plain.slice(from, at))}<mark>${escapeHtml(plain.slice(at, at + needle.length))}</mark>`;
    from = at + needle.length;
    at = lower.indexOf(needle, from);
  }
  return html + escapeHtml(plain.slice(from));
}

export function lineMatches(line: ConsoleLine, query: string): boolean {
  return stripAnsi(line.text).toLowerCase().includes(query.toLowerCase());
}

/** Sequence numbers of the provisional lines: past any real line, so the window stays in order. */
const unfinishedSeq = { stdout: 2 ** 52, stderr: 2 ** 52 + 1 } as const;

/** True for a line shown before its newline came (a prompt waiting for input, a progress bar). */
export function isUnfinished(line: ConsoleLine): boolean {
  return line.seq >= unfinishedSeq.stdout;
}

/** Each stream's unfinished last line as a provisional line, shown after the finished ones. */
export function unfinishedLines(unfinished: UnfinishedLines, t: number): OutputLine[] {
  const lines: OutputLine[] = [];
  for (const stream of ['stdout', 'stderr'] as const) {
    const text = unfinished[stream];
    if (text) lines.push({ seq: unfinishedSeq[stream], stream, t, text });
  }
  return lines;
}

/** What Send writes: the text as typed plus one newline, as Enter in a terminal (empty: just "\n"). */
export function stdinPayload(text: string): string {
  return `${text}\n`;
}

/**
 * The echo rows for `payload` sent to stdin, one per line it ends, placed after the newest line
 * the run had written (`afterSeq`) and after any echo already there. Their sequence numbers are
 * fractions between two real lines, so the console's order (by seq) puts them where they happened.
 */
export function echoLines(
  payload: string,
  afterSeq: number,
  held: readonly ConsoleLine[],
  t: number,
): ConsoleLine[] {
  const texts = payload.split('\n');
  if (texts.at(-1) === '') texts.pop();
  const next = afterSeq + 1;
  let seq = Math.max(afterSeq, held.at(-1)?.seq ?? -Infinity);
  return texts.map((text) => {
    seq = seq < afterSeq + 0.5 ? afterSeq + 0.5 : seq + (next - seq) / 2;
    return { seq, stream: 'stdin', t, text, echo: true };
  });
}

/** The run's lines with the echoes that fall inside the held window, in order. */
export function withEchoes(
  lines: readonly ConsoleLine[],
  echoes: readonly ConsoleLine[],
): readonly ConsoleLine[] {
  if (echoes.length === 0) return lines;
  // An echo sent before the first held line (before any output) sits just before it: kept.
  const from = (lines[0]?.seq ?? -Infinity) - 1;
  const shown = echoes.filter((echo) => echo.seq > from);
  if (shown.length === 0) return lines;
  const merged: ConsoleLine[] = [];
  let j = 0;
  for (const line of lines) {
    while (j < shown.length && shown[j]!.seq < line.seq) merged.push(shown[j++]!);
    merged.push(line);
  }
  while (j < shown.length) merged.push(shown[j++]!);
  return merged;
}
