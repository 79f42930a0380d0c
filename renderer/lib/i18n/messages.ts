/**
 * The UI's words: `m.some_key(params)` returns the text in the current language. Paraglide compiles
 * messages/<locale>.json into one small function per message (renderer/lib/i18n/paraglide, made by
 * `npm run i18n`, the build and `npm test`; not committed).
 */
export { m } from './paraglide/messages.js';
