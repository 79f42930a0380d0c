// Debian's Chromium, or the one named by $CHROMIUM_PATH; null when there is none.
import { existsSync } from 'node:fs';

export function chromiumPathOrNull() {
  const candidates = [process.env.CHROMIUM_PATH, '/usr/bin/chromium', '/usr/bin/chromium-browser'];
  return candidates.find((path) => path && existsSync(path)) ?? null;
}
