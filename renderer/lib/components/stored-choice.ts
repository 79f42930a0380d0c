/**
 * A choice the user made that outlives the page (the theme, the language), in localStorage. Storage
 * can be off (private windows): the choice then lasts until the page closes.
 */
export function storedChoice<T extends string>(key: string, isValid: (value: unknown) => value is T) {
  return {
    read(): T | null {
      try {
        const value = localStorage.getItem(key);
        return isValid(value) ? value : null;
      } catch {
        return null;
      }
    },
    write(value: T | null): void {
      try {
        if (value) localStorage.setItem(key, value);
        else localStorage.removeItem(key);
      } catch {
        // Kept for this page only.
      }
    },
  };
}
