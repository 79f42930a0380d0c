/**
 * Reads what a person pastes: serve mode prints `http://127.0.0.1:7777/#token=…`, so the address
 * may carry the token in its fragment; a token typed apart wins. The fragment never leaves here
 * in the address (main/hosts gets the token as its own field).
 */
export function splitAddress(pasted: string, typedToken: string): { url: string; token: string } {
  const text = pasted.trim();
  const hash = text.indexOf('#');
  const fromFragment = hash >= 0 ? (new URLSearchParams(text.slice(hash + 1)).get('token') ?? '') : '';
  const url = hash >= 0 ? text.slice(0, hash) : text;
  return { url: url.replace(/\/+$/, ''), token: typedToken.trim() || fromFragment };
}
