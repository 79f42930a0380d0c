import { z } from 'zod';
import { method } from './define';
import { runId } from './runs';

export const exampleInfo = z.object({
  id: z.string(),
  title: z.string(),
  concept: z.string(),
  summary: z.string(),
  /** The Python program it was made from, shown beside the run. */
  python: z.string(),
  /** Where to look once it runs: `runs` or another area of the sidebar. */
  view: z.enum(['runs', 'pools', 'queues', 'system']),
});
export type ExampleInfo = z.infer<typeof exampleInfo>;

export const exampleMethods = {
  'examples.list': method(
    'The built-in examples, one per seed program.',
    z.object({}).default({}),
    z.array(exampleInfo),
  ),
  'examples.run': method(
    'Run one example; it returns as soon as its first run has started.',
    z.object({ id: z.string().max(100) }),
    z.object({
      runIds: z.array(runId),
      poolId: z.string().optional(),
      queueIds: z.array(z.string()).optional(),
    }),
  ),
} as const;
