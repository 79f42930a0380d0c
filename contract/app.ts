import { z } from 'zod';
import { method } from './define';

/** How the processes of each run are kept together, so that Terminate, Kill and quitting stop all of them. */
export const containmentInfo = z.object({
  /**
   * `cgroup`: a Linux cgroup v2 per run (`cgroup.kill`); `groups`: process groups, the run's
   * environment marker and a watchdog; `tree`: Windows, `taskkill /T`.
   */
  mode: z.enum(['cgroup', 'groups', 'tree']),
  detail: z.string(),
});

export const hostInfo = z.object({
  containment: containmentInfo,
  /** The engine's file descriptors: its soft limit (null: none known), how many are open, what was done at start. */
  files: z.object({ limit: z.number().int().nullable(), open: z.number().int(), note: z.string() }),
});

export type HostInfo = z.infer<typeof hostInfo>;

export const appMethods = {
  'app.info': method(
    'How this Forkscope keeps each run’s processes together, and its descriptor limit.',
    z.object({}).default({}),
    hostInfo,
  ),
};
