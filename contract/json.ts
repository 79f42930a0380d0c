import { z } from 'zod';

export type JsonValue = z.core.util.JSONType;

/** As deep as Python's default recursion limit lets a program build: deeper is refused, not crashed on. */
export const maxJsonDepth = 1000;

/**
 * What is wrong with a value that should be JSON, or null. Walked with a stack of its own, so a
 * 100,000-deep value is refused with a sentence instead of overflowing the call stack.
 */
export function jsonProblem(value: unknown): string | null {
  const todo: [unknown, number][] = [[value, 1]];
  while (todo.length > 0) {
    const [item, depth] = todo.pop()!;
    if (item === null || typeof item === 'string' || typeof item === 'boolean') continue;
    if (typeof item === 'number') {
      if (!Number.isFinite(item)) return `${item} is not a JSON number`;
      continue;
    }
    if (typeof item !== 'object') return `a ${typeof item} is not a JSON value`;
    if (depth > maxJsonDepth) return `it is nested more than ${maxJsonDepth} levels deep`;
    if (Array.isArray(item)) {
      for (const element of item) todo.push([element, depth + 1]);
      continue;
    }
    const proto = Object.getPrototypeOf(item) as unknown;
    if (proto !== Object.prototype && proto !== null) return 'only plain objects are JSON objects';
    for (const key of Object.keys(item)) todo.push([(item as Record<string, unknown>)[key], depth + 1]);
  }
  return null;
}

/**
 * Any JSON value, passed on as it came. Unlike `z.json()`, which rebuilds objects by assignment
 * and so silently loses a key named `__proto__`, the value is checked and kept whole: a key is
 * data, whatever its name (JSON.parse and structuredClone make it an own property, never a prototype).
 */
export const jsonValue = z.custom<JsonValue>().superRefine((value, context) => {
  const problem = jsonProblem(value);
  if (problem) context.addIssue({ code: 'custom', message: `not a JSON value: ${problem}` });
});
