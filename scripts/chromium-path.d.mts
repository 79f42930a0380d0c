export type ChromiumChoice =
  { path: string; source: string; reason?: undefined } | { path: null; source: null; reason: string };
export function chooseChromium(): ChromiumChoice;
export function chromiumPathOrNull(): string | null;
export function npmChromiumLauncher(version: string): string;
export const hideSystemVariable: string;
export const chromiumArgs: string[];
