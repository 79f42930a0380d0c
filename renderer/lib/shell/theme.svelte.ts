import { storedChoice } from '../components/stored-choice';

export type Theme = 'light' | 'dark';

const stored = storedChoice(
  'forkscope.theme',
  (value): value is Theme => value === 'light' || value === 'dark',
);

/** Light or dark: the system's preference until the user picks one, which is remembered. */
class ThemeStore {
  readonly #media = matchMedia('(prefers-color-scheme: dark)');
  system = $state<Theme>(this.#media.matches ? 'dark' : 'light');
  chosen = $state<Theme | null>(stored.read());
  readonly current = $derived<Theme>(this.chosen ?? this.system);

  constructor() {
    this.#media.addEventListener('change', (event) => (this.system = event.matches ? 'dark' : 'light'));
  }

  toggle() {
    this.chosen = this.current === 'dark' ? 'light' : 'dark';
    stored.write(this.chosen);
  }

  followSystem() {
    this.chosen = null;
    stored.write(null);
  }
}

export const theme = new ThemeStore();
