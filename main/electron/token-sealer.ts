import { safeStorage } from 'electron';
import type { TokenSealer } from '../hosts/token-sealer';

/**
 * The remembered hosts' tokens sealed with `safeStorage` (Keychain, DPAPI, or the Secret Service /
 * KWallet on Linux). Where only Chromium's fixed-key fallback exists (`basic_text`: no keyring),
 * sealing would protect nothing, so none is given: the tokens stay in the owner-only hosts file,
 * as serve mode keeps them, and ARCHITECTURE says so rather than pretending.
 */
export function safeStorageSealer(): TokenSealer | undefined {
  if (!safeStorage.isEncryptionAvailable()) return undefined;
  if (process.platform === 'linux' && safeStorage.getSelectedStorageBackend() === 'basic_text')
    return undefined;
  return {
    seal: (token) => safeStorage.encryptString(token).toString('base64'),
    open: (sealed) => {
      try {
        return safeStorage.decryptString(Buffer.from(sealed, 'base64'));
      } catch {
        return null;
      }
    },
  };
}
