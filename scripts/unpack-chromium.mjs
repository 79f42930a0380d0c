// Unpacks @sparticuz/chromium (a brotli-compressed Chromium headless shell, its NSS libraries and
// a font) into node_modules/.cache/forkscope-chromium/<version>/ and writes a launcher script there
// that points the binary at those libraries and fonts. Run by chromium-path.mjs when no system
// Chromium is used; ~2 s once, then nothing. The folder is 0700 and filled under a temporary name,
// then renamed, so a half-unpacked browser is never used and a planted /tmp/chromium never is.
import { chmodSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { npmChromiumLauncher } from './chromium-path.mjs';

const root = join(dirname(new URL(import.meta.url).pathname), '..');
const packageDir = join(root, 'node_modules', '@sparticuz', 'chromium');
const version = JSON.parse(readFileSync(join(packageDir, 'package.json'), 'utf8')).version;
const target = dirname(npmChromiumLauncher(version));
/** A shell word: single quotes, each ' written as '\\'' */
const sh = (/** @type {string} */ text) => `'${text.replaceAll("'", "'\\''")}'`;
if (existsSync(join(target, 'launch'))) process.exit(0);

mkdirSync(dirname(target), { recursive: true, mode: 0o700 });
const staging = `${target}.tmp-${process.pid}`;
rmSync(staging, { recursive: true, force: true });
mkdirSync(staging, { mode: 0o700 });
// The package unpacks into os.tmpdir(), which reads $TMPDIR on every call.
process.env.TMPDIR = staging;
const { inflate } = await import('@sparticuz/chromium');
const bin = join(packageDir, 'bin');
const [binary] = await Promise.all([
  inflate(join(bin, 'chromium.br')),
  inflate(join(bin, 'fonts.tar.br')),
  inflate(join(bin, 'swiftshader.tar.br')),
  inflate(join(bin, 'al2023.tar.br')),
]);
if (binary !== join(staging, 'chromium')) throw new Error(`unexpected binary path ${binary}`);

// The system's fonts where it has fontconfig, and the package's Open Sans in any case.
writeFileSync(
  join(staging, 'fonts.conf'),
  `<?xml version="1.0"?>
<!DOCTYPE fontconfig SYSTEM "fonts.dtd">
<fontconfig>
  <include ignore_missing="yes">/etc/fonts/fonts.conf</include>
  <dir>${join(target, 'fonts', 'fonts')}</dir>
  <cachedir>${join(target, 'fonts-cache')}</cachedir>
</fontconfig>
`,
);
// NSS (libnss3, libnspr4) and expat come with the package: a machine without the chromium
// package often lacks them.
writeFileSync(
  join(staging, 'launch'),
  `#!/bin/sh
# @sparticuz/chromium ${version}, unpacked by scripts/unpack-chromium.mjs
LD_LIBRARY_PATH=${sh(join(target, 'al2023', 'lib') + ':' + target)}"\${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
[ -n "\${FONTCONFIG_FILE:-}" ] || FONTCONFIG_FILE=${sh(join(target, 'fonts.conf'))}
export LD_LIBRARY_PATH FONTCONFIG_FILE
exec ${sh(join(target, 'chromium'))} "$@"
`,
  { mode: 0o700 },
);
chmodSync(join(staging, 'launch'), 0o700);
try {
  renameSync(staging, target);
} catch (error) {
  // Another run unpacked it first: use theirs.
  rmSync(staging, { recursive: true, force: true });
  if (!existsSync(join(target, 'launch'))) throw error;
}
