import { AnsiUp } from 'ansi_up';
import type { OutputLine, UnfinishedLines } from '../../../../contract';

// CSI sequences (colours, cursor moves) and OSC sequences (titles, hyperlinks).
// eslint-disable-next-line no-control-regex
const ansiPattern = /\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b[@-Z\\-_]/g;

export function stripAnsi(text: string): string {
  return text.includes('\x1b') ? text.replace(ansiPattern, '') : text;
}

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (char) => `&#${char.charCodeAt(0)};`);
}

const htmlCache = new WeakMap<OutputLine, string>();

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
export function lineHtml(line: OutputLine): string {
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

export function lineMatches(line: OutputLine, query: string): boolean {
  return stripAnsi(line.text).toLowerCase().includes(query.toLowerCase());
}

/** Sequence numbers of the provisional lines: past any real line, so the window stays in order. */
const unfinishedSeq = { stdout: 2 ** 52, stderr: 2 ** 52 + 1 } as const;

/** True for a line shown before its newline came (a prompt waiting for input, a progress bar). */
export function isUnfinished(line: OutputLine): boolean {
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
