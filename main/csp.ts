/**
 * The renderer's Content-Security-Policy, the same for serve mode (a header) and the desktop
 * app (the page's meta tag checks it matches): only our own scripts, no eval, no plugins,
 * connections only back to where the page came from.
 */
export const contentSecurityPolicy = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');
