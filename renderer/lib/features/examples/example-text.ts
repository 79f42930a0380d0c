import type { ExampleInfo } from '../../../../contract';
import { m } from '../../i18n/messages';

/**
 * The examples' titles and summaries in the current language. The engine lists them in English
 * (main/engine/examples/catalog.ts, system/python-originals.ts) — `examples.list` is also what
 * scripts and recordings read — and the renderer translates by example id. tests/unit/i18n.test.ts
 * requires every example the engine lists to have its words here, the English equal to the engine's.
 * An example without them (a newer engine's) is shown with the engine's own words.
 */
const texts: Record<string, { title: () => string; summary: () => string }> = {
  fork: { title: m.example_fork_title, summary: m.example_fork_summary },
  process: { title: m.example_process_title, summary: m.example_process_summary },
  pool: { title: m.example_pool_title, summary: m.example_pool_summary },
  call: { title: m.example_call_title, summary: m.example_call_summary },
  'call-real': { title: m.example_call_real_title, summary: m.example_call_real_summary },
  communicate: { title: m.example_communicate_title, summary: m.example_communicate_summary },
  'communicate-real': {
    title: m.example_communicate_real_title,
    summary: m.example_communicate_real_summary,
  },
  queue: { title: m.example_queue_title, summary: m.example_queue_summary },
};

/** What each unmodified seed program (python-<name>) lets you watch through the Python lens. */
const originals: Record<string, { file: string; watch: () => string }> = {
  'python-fork': { file: '1_fork.py', watch: m.original_watch_fork },
  'python-process': { file: '2_process.py', watch: m.original_watch_process },
  'python-pool': { file: '3_pool.py', watch: m.original_watch_pool },
  'python-subprocess-call': { file: '4a_subprocess_call.py', watch: m.original_watch_call },
  'python-subprocess-communicate': {
    file: '4b_subprocess_communicate.py',
    watch: m.original_watch_communicate,
  },
  'python-queue': { file: '5_queue.py', watch: m.original_watch_queue },
};

export function exampleText(example: Pick<ExampleInfo, 'id' | 'title' | 'summary'>): {
  title: string;
  summary: string;
} {
  const text = texts[example.id];
  if (text) return { title: text.title(), summary: text.summary() };
  const original = originals[example.id];
  if (original) {
    return {
      title: m.example_original_title({ file: original.file }),
      summary: m.example_original_summary({ file: original.file, watch: original.watch() }),
    };
  }
  return { title: example.title, summary: example.summary };
}
