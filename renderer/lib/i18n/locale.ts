import { baseLocale, locales, type Locale } from './paraglide/runtime.js';

export type { Locale };
export { locales };

/** Each language's name in itself, as a picker shows it whatever the current language. */
export const localeNames: Record<Locale, string> = { en: 'English', 'zh-CN': '简体中文' };

/**
 * The first of the browser's languages (navigator.languages, most preferred first) that Forkscope
 * has: any Chinese written in simplified characters (zh, zh-CN, zh-Hans, zh-SG) is zh-CN, other
 * Chinese (zh-TW, zh-HK, zh-Hant) is not offered it; any English is en; otherwise English.
 */
export function matchLocale(preferred: readonly string[]): Locale {
  for (const tag of preferred) {
    const lower = tag.toLowerCase();
    if (lower === 'en' || lower.startsWith('en-')) return 'en';
    if (/^zh(-hans)?(-(cn|sg|my))?$|^zh-hans-/.test(lower)) return 'zh-CN';
  }
  return baseLocale;
}

export function isLocale(value: unknown): value is Locale {
  return typeof value === 'string' && (locales as readonly string[]).includes(value);
}
