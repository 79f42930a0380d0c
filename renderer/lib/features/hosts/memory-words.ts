import type { HostsMemoryProblem } from '../../../../contract/hosts';
import { m } from '../../i18n/messages';

/** The one message for a problem with the remembered hosts, in the user's language. */
export function memoryProblemSentence(problem: HostsMemoryProblem): string {
  const { file, detail } = problem;
  if (problem.kind === 'unreadable') return m.hosts_memory_unreadable({ file, detail });
  if (problem.kind === 'unwritable') return m.hosts_memory_unwritable({ file, detail });
  return problem.movedTo
    ? m.hosts_memory_damaged({ file, detail, movedTo: problem.movedTo })
    : m.hosts_memory_damaged_kept({ file, detail });
}
