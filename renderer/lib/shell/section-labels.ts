import { m } from '../i18n/messages';
import type { Section, SectionId } from './sections';

const labels: Partial<Record<SectionId, () => string>> = {
  runs: m.section_runs,
  examples: m.section_examples,
  pools: m.section_pools,
  queues: m.section_queues,
  system: m.section_system,
  replay: m.section_replay,
};

/** A section's name in the current language (its own English label until it has a message). */
export function sectionLabel(section: Pick<Section, 'id' | 'label'>): string {
  return labels[section.id]?.() ?? section.label;
}
