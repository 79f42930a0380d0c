import { storedChoice } from '../components/stored-choice';
import { overwriteGetLocale } from './paraglide/runtime.js';
import { isLocale, matchLocale, type Locale } from './locale';

const stored = storedChoice('forkscope.locale', isLocale);

const systemLocale = () =>
  matchLocale(navigator.languages?.length ? navigator.languages : [navigator.language]);

/**
 * The UI's language: the system's (navigator.languages) until the user picks one, which is
 * remembered, as the theme is. Paraglide's messages ask `getLocale()`, which reads `current` here:
 * a message shown in a template therefore depends on it, and a change redraws every text in place
 * (no reload, no lost form).
 */
class LocaleStore {
  system = $state<Locale>(systemLocale());
  chosen = $state<Locale | null>(stored.read());
  readonly current = $derived<Locale>(this.chosen ?? this.system);

  constructor() {
    addEventListener('languagechange', () => (this.system = systemLocale()));
  }

  choose(value: Locale | null) {
    this.chosen = value;
    stored.write(value);
  }
}

export const locale = new LocaleStore();
overwriteGetLocale(() => locale.current);
