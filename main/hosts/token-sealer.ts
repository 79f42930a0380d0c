/**
 * Seals a remembered host's token with a key this Forkscope does not keep itself: the desktop app
 * gives one backed by Electron's `safeStorage` (main/electron/token-sealer.ts); serve mode has
 * none, and keeps tokens in the hosts file, readable by its owner only. main/hosts never imports
 * electron: serve mode runs without it.
 */
export interface TokenSealer {
  seal(token: string): string;
  /** The token, or null when this key cannot open it (sealed on another machine or by another user). */
  open(sealed: string): string | null;
}
