import { constants, createReadStream } from 'node:fs';
import { open, stat } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { pipeline } from 'node:stream';
import { extname, join, normalize, sep } from 'node:path';
import { contentSecurityPolicy } from '../csp';

const types: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json',
  '.woff2': 'font/woff2',
};

const securityHeaders = {
  'Content-Security-Policy': contentSecurityPolicy,
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Resource-Policy': 'same-origin',
  'X-Frame-Options': 'DENY',
};

/** The file a request names inside `root`, or null: malformed escapes and escapes from root name nothing. */
function fileFor(root: string, url: string | undefined): string | null {
  let pathname: string;
  try {
    pathname = decodeURIComponent(new URL(url ?? '/', 'http://x').pathname);
  } catch {
    return null;
  }
  if (pathname.includes('\0')) return null;
  const file = join(root, normalize(pathname === '/' ? '/index.html' : pathname));
  return file.startsWith(root + sep) ? file : null;
}

/** Serves the built renderer: GET and HEAD only, nothing outside its folder. Never throws. */
export async function serveStatic(root: string, request: IncomingMessage, response: ServerResponse) {
  if (request.method !== 'GET' && request.method !== 'HEAD') {
    response.writeHead(405, { Allow: 'GET, HEAD' }).end();
    return;
  }
  const file = fileFor(root, request.url);
  const info = file ? await stat(file).catch(() => null) : null;
  if (!file || !info?.isFile()) {
    response.writeHead(404, securityHeaders).end('Not found');
    return;
  }
  response.writeHead(200, {
    ...securityHeaders,
    'Content-Type': types[extname(file)] ?? 'application/octet-stream',
    'Content-Length': info.size,
    'Cache-Control': 'no-cache',
  });
  if (request.method === 'HEAD') response.end();
  // A file removed meanwhile (a rebuild while serving) ends this response, never the server.
  else pipeline(createReadStream(file), response, () => {});
}

/** `/logs/<runId>/<stdout|stderr>`: a run's log, downloaded by the browser (serve mode's only file outside the renderer). */
const logRoute = /^\/logs\/([A-Za-z0-9_-]{1,64})\/(stdout|stderr)$/;

export function isLogRequest(url: string | undefined): boolean {
  return (url ?? '').startsWith('/logs/');
}

/**
 * Sends a run's whole log as an attachment, as it is on disk when the request comes (a log still
 * growing is cut at that size). A link cannot carry the WebSocket's subprotocol, so the token is in
 * the query: checked in constant time, and the response is never cached nor sent as a referrer.
 * The file is opened without following a symlink, as it was created. Never throws.
 */
export async function serveLog(
  logPathOf: (runId: string, stream: 'stdout' | 'stderr') => string | null,
  tokenMatches: (token: string) => boolean,
  request: IncomingMessage,
  response: ServerResponse,
): Promise<void> {
  const headers = { ...securityHeaders, 'Cache-Control': 'no-store' };
  if (request.method !== 'GET' && request.method !== 'HEAD') {
    response.writeHead(405, { ...headers, Allow: 'GET, HEAD' }).end();
    return;
  }
  const url = new URL(request.url ?? '/', 'http://x');
  if (!tokenMatches(url.searchParams.get('token') ?? '')) {
    response.writeHead(401, headers).end('A valid token is needed: open the address serve mode printed.');
    return;
  }
  const route = logRoute.exec(url.pathname);
  const path = route ? logPathOf(route[1]!, route[2] as 'stdout' | 'stderr') : null;
  const handle = path
    ? await open(path, constants.O_RDONLY | (constants.O_NOFOLLOW ?? 0)).catch(() => null)
    : null;
  const info = handle ? await handle.stat().catch(() => null) : null;
  if (!handle || !info?.isFile()) {
    await handle?.close();
    response
      .writeHead(404, headers)
      .end('No such log: the run is unknown (cleared?) or its log was never written.');
    return;
  }
  response.writeHead(200, {
    ...headers,
    'Content-Type': 'text/plain; charset=utf-8',
    'Content-Length': info.size,
    'Content-Disposition': `attachment; filename="${route![1]}.${route![2]}.log"`,
  });
  if (request.method === 'HEAD' || info.size === 0) {
    await handle.close();
    response.end();
    return;
  }
  pipeline(handle.createReadStream({ start: 0, end: info.size - 1 }), response, () => {});
}
