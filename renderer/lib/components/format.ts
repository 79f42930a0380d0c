import { getLocale, type Locale } from '../i18n/paraglide/runtime.js';
import { m } from '../i18n/messages';

/**
 * Numbers, durations and times in the current language (paraglide's getLocale(), which reads the
 * locale store in the app: a template that formats depends on the language and redraws with it).
 * Formatters are made once per locale.
 */
function perLocale<T>(make: (locale: Locale) => T): () => T {
  const made = new Map<Locale, T>();
  return () => {
    const locale = getLocale();
    let value = made.get(locale);
    if (value === undefined) made.set(locale, (value = make(locale)));
    return value;
  };
}

const counts = perLocale((locale) => new Intl.NumberFormat(locale));
const fixed = [0, 1, 2, 3].map((digits) =>
  perLocale(
    (locale) =>
      new Intl.NumberFormat(locale, {
        minimumFractionDigits: digits,
        maximumFractionDigits: digits,
        useGrouping: false,
      }),
  ),
);
const clock = perLocale(
  (locale) =>
    new Intl.DateTimeFormat(locale, {
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
      fractionalSecondDigits: 3,
      hourCycle: 'h23',
    }),
);
const dates = perLocale(
  (locale) => new Intl.DateTimeFormat(locale, { year: 'numeric', month: '2-digit', day: '2-digit' }),
);
const relative = perLocale((locale) => new Intl.RelativeTimeFormat(locale, { numeric: 'auto' }));

const withDigits = (value: number, digits: 0 | 1 | 2 | 3) => fixed[digits]!().format(value);

export function formatCount(value: number): string {
  return counts().format(value);
}

/** A number with a fixed count of decimals, in the language's digits and decimal mark: 12.5 %. */
export function formatDecimal(value: number, digits: 0 | 1 | 2): string {
  return withDigits(value, digits);
}

/** Seconds with a fixed count of decimals and the language's unit: "1.5 s", "1.5 秒" (axis ticks). */
export function formatSeconds(seconds: number, digits: 0 | 1 | 2 | 3): string {
  return m.duration_s({ n: withDigits(seconds, digits) });
}

export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${formatCount(bytes)} B`;
  const units = ['KB', 'MB', 'GB', 'TB'];
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${withDigits(value, value >= 100 ? 0 : 1)} ${units[unit]}`;
}

export function formatDuration(ms: number): string {
  if (ms < 1000) return m.duration_ms({ n: formatCount(Math.max(0, Math.round(ms))) });
  const seconds = ms / 1000;
  if (seconds < 60) return m.duration_s({ n: withDigits(seconds, seconds < 10 ? 2 : 1) });
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return m.duration_m_s({ m: minutes, s: Math.floor(seconds % 60) });
  return m.duration_h_m({ h: Math.floor(minutes / 60), m: minutes % 60 });
}

/** "5 seconds ago", "5秒钟前": how long ago something was, in the largest whole unit. */
export function formatAgo(ms: number): string {
  const seconds = Math.round(Math.max(0, ms) / 1000);
  if (seconds < 60) return relative().format(-seconds, 'second');
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return relative().format(-minutes, 'minute');
  return relative().format(-Math.floor(minutes / 60), 'hour');
}

/** 14:03:07.123, local time, 24-hour in every language: the console's timestamps. */
export function formatClock(epochMs: number): string {
  return clock().format(epochMs);
}

const pad = (value: number) => String(value).padStart(2, '0');

/**
 * For details: 2024-05-01 14:03:07.123 in English (ISO order, unambiguous for a developer's tool),
 * the language's own date order elsewhere (2024/05/01 14:03:07.123).
 */
export function formatDateTime(epochMs: number): string {
  const date = new Date(epochMs);
  const day =
    getLocale() === 'en'
      ? `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}`
      : dates().format(date);
  return `${day} ${formatClock(epochMs)}`;
}

/** An argv as a person would type it: arguments with spaces or quotes are single-quoted. */
export function formatArgv(argv: readonly string[]): string {
  return argv
    .map((arg) => (/^[\w@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replaceAll("'", `'\\''`)}'`))
    .join(' ');
}
