// Writes renderer/fonts/noto-sans-sc.css: the @font-face rules of @fontsource/noto-sans-sc (weight
// 400, woff2) for only those of the font's unicode-range parts that hold a character the UI shows in
// Chinese — the zh-CN messages and the seed programs' own Chinese comments. The package splits the
// font into ~100 parts by unicode-range; a browser fetches only the parts a page uses, and the build
// ships only the parts named here. Run it again after adding Chinese text:
//   node scripts/cjk-font.mjs
// tests/unit/i18n.test.ts fails while a character of the messages has no part here.
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const fontDir = join(root, 'node_modules/@fontsource/noto-sans-sc');

/** @typedef {{ ranges: [number, number][], file: string }} FontFace */

/** Every character the UI draws in Chinese. */
export function chineseText() {
  const messages = Object.values(
    JSON.parse(readFileSync(join(root, 'renderer/lib/i18n/messages/zh-CN.json'), 'utf8')),
  );
  const pythonDir = join(root, 'main/engine/examples/python');
  const programs = readdirSync(pythonDir)
    .filter((name) => name.endsWith('.py'))
    .map((name) => readFileSync(join(pythonDir, name), 'utf8'));
  return [...messages, ...programs].join('');
}

/**
 * The code points past U+2000 in a text: the ones the Latin UI fonts may lack.
 * @param {string} text
 * @returns {number[]}
 */
export function wideCodePoints(text) {
  const codes = [...text].map((char) => char.codePointAt(0) ?? 0);
  return [...new Set(codes.filter((code) => code > 0x2000))];
}

/**
 * `U+4e00-4e2f,U+3001` as [from, to] pairs.
 * @param {string} unicodeRange
 * @returns {[number, number][]}
 */
export function parseRanges(unicodeRange) {
  return unicodeRange.split(',').map((part) => {
    const [from = '0', to = from] = part.trim().replace(/^U\+/i, '').split('-');
    return [parseInt(from, 16), parseInt(to, 16)];
  });
}

/**
 * The @font-face rules of a stylesheet: each one's unicode-range and woff2 file.
 * @param {string} css
 * @returns {FontFace[]}
 */
export function fontFaces(css) {
  return [...css.matchAll(/@font-face\s*{[^}]*}/g)].map(([rule]) => ({
    ranges: parseRanges(/unicode-range:\s*([^;]+);/.exec(rule)?.[1] ?? ''),
    file: /url\('?(?:[^')]*\/)?([^'/)]+\.woff2)'?\)/.exec(rule)?.[1] ?? '',
  }));
}

/**
 * Whether a part of the font holds a character.
 * @param {FontFace} face
 * @param {number} code
 */
export function covers(face, code) {
  return face.ranges.some(([from, to]) => code >= from && code <= to);
}

/** @param {[number, number]} range */
const rangeText = ([from, to]) =>
  from === to ? `U+${from.toString(16)}` : `U+${from.toString(16)}-${to.toString(16)}`;

function main() {
  const faces = fontFaces(readFileSync(join(fontDir, '400.css'), 'utf8'));
  const codes = wideCodePoints(chineseText());
  const used = faces.filter((face) => codes.some((code) => covers(face, code)));
  const rules = used.map(
    (face) => `@font-face {
  font-family: 'Noto Sans SC';
  font-style: normal;
  font-display: swap;
  font-weight: 400;
  src: url('../../node_modules/@fontsource/noto-sans-sc/files/${face.file}') format('woff2');
  unicode-range: ${face.ranges.map(rangeText).join(', ')};
}
`,
  );
  const header = `/* Made by scripts/cjk-font.mjs from @fontsource/noto-sans-sc (SIL Open Font License 1.1): ${used.length} of its ${faces.length} parts, the ones holding the ${codes.length} characters the UI draws in Chinese. */\n`;
  writeFileSync(join(root, 'renderer/fonts/noto-sans-sc.css'), header + rules.join('\n'));
  console.log(
    `renderer/fonts/noto-sans-sc.css: ${used.length} of ${faces.length} parts for ${codes.length} characters`,
  );
}

if (process.argv[1] === fileURLToPath(import.meta.url)) main();
