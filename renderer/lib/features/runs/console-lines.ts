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
  /**
   * An echo sent while a line of the run had no newline yet (a prompt such as "Name? "): the
   * stream and the text it had then, so the echo is shown inside that line once it ends, as a
   * terminal shows what was typed after the prompt.
   */
  within?: { stream: StreamName; prefix: string; afterSeq: number };
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

/**
 * Sequence numbers of the provisional lines: past any real line, so the window stays in order,
 * and small enough that fractions below them (the rows a prompt is split into) still count.
 */
const unfinishedSeq = { stdout: 2 ** 40, stderr: 2 ** 40 + 1 } as const;

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
 * A line without its newline yet (`unfinished`, stdout first: a prompt) is where the input went:
 * each echo remembers it, and `withEchoes` shows the echo inside that line once it is written.
 */
export function echoLines(
  payload: string,
  afterSeq: number,
  held: readonly ConsoleLine[],
  t: number,
  unfinished: UnfinishedLines = { stdout: null, stderr: null },
): ConsoleLine[] {
  const texts = payload.split('\n');
  if (texts.at(-1) === '') texts.pop();
  const next = afterSeq + 1;
  let seq = Math.max(afterSeq, held.at(-1)?.seq ?? -Infinity);
  const stream: StreamName | null = unfinished.stdout ? 'stdout' : unfinished.stderr ? 'stderr' : null;
  const within = stream ? { stream, prefix: unfinished[stream]!, afterSeq } : undefined;
  return texts.map((text) => {
    seq = seq < afterSeq + 0.5 ? afterSeq + 0.5 : seq + (next - seq) / 2;
    const echo: ConsoleLine = { seq, stream: 'stdin', t, text, echo: true };
    if (within) echo.within = within;
    return echo;
  });
}

/**
 * The line an echo sent inside a prompt belongs to: the first line of the prompt's stream after
 * the echo was sent that begins with the prompt as it was (a progress bar rewritten meanwhile does
 * not), or -1.
 */
function hostOf(lines: readonly ConsoleLine[], echo: ConsoleLine, start: number): number {
  const within = echo.within!;
  for (let index = start; index < lines.length; index++) {
    const line = lines[index]!;
    if (line.seq <= within.afterSeq || line.stream !== within.stream) continue;
    return line.text.startsWith(within.prefix) ? index : -1;
  }
  return -1;
}

/**
 * `line` cut where each of `echoes` was sent (after its prompt), the echoes between the pieces, as
 * a terminal shows a prompt, what was typed, and what the program wrote next. The rows get
 * sequence numbers between `after` (the row before) and the line's own, which the last piece keeps.
 */
function splitAtEchoes(line: ConsoleLine, echoes: ConsoleLine[], after: number): ConsoleLine[] {
  const rows: ConsoleLine[] = [];
  let from = 0;
  for (const echo of echoes) {
    const at = echo.within!.prefix.length;
    if (at > from) rows.push({ seq: 0, stream: line.stream, t: line.t, text: line.text.slice(from, at) });
    from = Math.max(from, at);
    rows.push(echo);
  }
  const last: ConsoleLine = { ...line, text: line.text.slice(from) };
  const low = Math.max(after, line.seq - 1);
  return [
    ...rows.map((row, index) => ({
      ...row,
      seq: low + ((index + 1) * (line.seq - low)) / (rows.length + 1),
    })),
    last,
  ];
}

/** The run's lines with the echoes that fall inside the held window, in order. */
export function withEchoes(
  lines: readonly ConsoleLine[],
  echoes: readonly ConsoleLine[],
): readonly ConsoleLine[] {
  if (echoes.length === 0) return lines;
  // An echo sent before the first held line (before any output) sits just before it: kept.
  const from = (lines[0]?.seq ?? -Infinity) - 1;
  const candidates = echoes.filter((echo) => echo.seq > from);
  if (candidates.length === 0) return lines;
  // Echoes sent inside a prompt go into the line that prompt became; the others by their seq.
  const inside = new Map<number, ConsoleLine[]>();
  const shown: ConsoleLine[] = [];
  for (const echo of candidates) {
    if (echo.within) {
      const host = hostOf(lines, echo, firstAfter(lines, echo.within.afterSeq));
      if (host >= 0) {
        const list = inside.get(host) ?? [];
        list.push(echo);
        inside.set(host, list);
        continue;
      }
    }
    shown.push(echo);
  }
  const merged: ConsoleLine[] = [];
  let j = 0;
  lines.forEach((line, index) => {
    while (j < shown.length && shown[j]!.seq < line.seq) merged.push(shown[j++]!);
    const split = inside.get(index);
    if (split) {
      split.sort((a, b) => a.within!.prefix.length - b.within!.prefix.length || a.seq - b.seq);
      merged.push(...splitAtEchoes(line, split, merged.at(-1)?.seq ?? -Infinity));
    } else merged.push(line);
  });
  while (j < shown.length) merged.push(shown[j++]!);
  return merged;
}

/** The index of the first line whose seq is past `seq`. */
function firstAfter(lines: readonly ConsoleLine[], seq: number): number {
  let low = 0;
  let high = lines.length;
  while (low < high) {
    const middle = (low + high) >> 1;
    if (lines[middle]!.seq <= seq) low = middle + 1;
    else high = middle;
  }
  return low;
}
