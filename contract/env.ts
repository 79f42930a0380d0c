import { z } from 'zod';

/** What is wrong with a variable's name, or null: the system takes anything but empty, `=` and NUL. */
function nameProblem(name: string): string | null {
  if (name === '') return 'an environment variable needs a name (it is empty)';
  if (name.includes('='))
    return `the environment variable name "${name}" must not contain "=" (it ends the name)`;
  if (name.includes('\0')) return 'an environment name must not contain a NUL byte';
  return null;
}

const envValue = z
  .string()
  .refine((value) => !value.includes('\0'), { message: 'an environment value must not contain a NUL byte' });

/**
 * Variables to set for a child, over the host's own; null removes one. Names are checked on the
 * whole record, since a record's key errors reach the caller only as "Invalid key in record".
 */
export const envOverrides = z
  .record(z.string(), envValue.nullable())
  .superRefine((env, context) => {
    for (const name of Object.keys(env)) {
      const problem = nameProblem(name);
      if (problem) context.addIssue({ code: 'custom', message: problem });
    }
  })
  .describe('null removes the variable');
