import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { networkInterfaces } from 'node:os';
import { tokenProtocolPrefix } from '../../contract/transport';

export function newToken(): string {
  return randomBytes(24).toString('base64url');
}

const loopbackNames = new Set(['127.0.0.1', 'localhost', '[::1]']);

/**
 * Checks what a browser cannot forge: the Host header (against DNS rebinding) and the Origin
 * (against cross-site WebSocket hijacking); then the token.
 */
export class ServeGuard {
  private allowedHosts = new Set<string>();

  constructor(
    private readonly token: string,
    private readonly bindHost: string,
  ) {}

  /** Until the port is known nothing is allowed. */
  listeningOn(port: number): void {
    const names = new Set(loopbackNames);
    const bind = this.bindHost;
    // Bound to every interface, the page may be opened at any of the machine's addresses.
    const addresses = ['0.0.0.0', '::'].includes(bind)
      ? Object.values(networkInterfaces()).flatMap((list) => (list ?? []).map((entry) => entry.address))
      : [bind];
    for (const address of addresses) {
      if (!['127.0.0.1', '::1', 'localhost'].includes(address)) {
        names.add(address.includes(':') ? `[${address}]` : address);
      }
    }
    this.allowedHosts = new Set([...names].map((name) => `${name}:${port}`));
  }

  hostAllowed(request: IncomingMessage): boolean {
    return this.allowedHosts.has((request.headers.host ?? '').toLowerCase());
  }

  originAllowed(request: IncomingMessage): boolean {
    const origin = request.headers.origin;
    // Browsers always send Origin on a WebSocket; other clients (scripts, tests) may not, and still need the token.
    if (origin === undefined) return true;
    try {
      const url = new URL(origin);
      return url.protocol === 'http:' && this.allowedHosts.has(url.host.toLowerCase());
    } catch {
      return false;
    }
  }

  tokenFrom(protocols: Set<string>): string | null {
    for (const protocol of protocols) if (protocol.startsWith(tokenProtocolPrefix)) return protocol;
    return null;
  }

  tokenValid(protocol: string | null): boolean {
    if (!protocol) return false;
    return this.tokenMatches(protocol.slice(tokenProtocolPrefix.length));
  }

  /** The token itself, compared in constant time (a log download carries it in its query). */
  tokenMatches(token: string): boolean {
    const given = Buffer.from(token);
    const expected = Buffer.from(this.token);
    return given.length === expected.length && timingSafeEqual(given, expected);
  }
}
