import { basename } from 'node:path';

const interpreter = /^(python|pypy)(\d+(\.\d+)*)?(\.exe)?$/i;

/**
 * Whether a launch runs Python: the program is an interpreter (`python3`, `/usr/bin/python3.11`, a
 * venv's `bin/python`, a pyenv or asdf shim of the same name), a `.py` script, or one of these
 * behind `env` or at the head of a shell line. Decided from the names alone: a launch pays no
 * file read for it.
 */
export function isPythonLaunch(program: string, args: readonly string[], shell: boolean): boolean {
  const words = shell ? program.trim().split(/\s+/) : [program, ...args];
  let at = 0;
  if (basename(words[0] ?? '') === 'env') {
    at = 1;
    while (at < words.length && (words[at]!.startsWith('-') || words[at]!.includes('='))) at++;
  }
  const name = basename(words[at] ?? '');
  return interpreter.test(name) || name.endsWith('.py');
}
