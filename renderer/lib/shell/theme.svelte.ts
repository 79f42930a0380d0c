export type Theme = 'light' | 'dark';

const storageKey = 'forkscope.theme';

function readChoice(): Theme | null {
  try {
    const value = localStorage.getItem(storageKey);
    return value === 'light' || value === 'dark' ? value : null;
  } catch {
    return null;
  }
}

function writeChoice(value: Theme | null) {
  try {
    if (value) localStorage.setItem(storageKey, value);
    else localStorage.removeItem(storageKey);
  } catch {
    // Storage can be off (private windows); the choice then lasts until the page closes.
  }
}

/** Light or dark: the system's preference until the user picks one, which is remembered. */
class ThemeStore {
  readonly #media = matchMedia('(prefers-color-scheme: dark)');
  system = $state<Theme>(this.#media.matches ? 'dark' : 'light');
  chosen = $state<Theme | null>(readChoice());
  readonly current = $derived<Theme>(this.chosen ?? this.system);

  constructor() {
    this.#media.addEventListener('change', (event) => (this.system = event.matches ? 'dark' : 'light'));
  }

  toggle() {
    this.chosen = this.current === 'dark' ? 'light' : 'dark';
    writeChoice(this.chosen);
  }

  followSystem() {
    this.chosen = null;
    writeChoice(null);
  }
}

export const theme = new ThemeStore();
