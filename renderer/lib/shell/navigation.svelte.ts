import type { SectionId } from './sections';

/** Which section is shown, and what is selected in it; any view may send the user elsewhere. */
class Navigation {
  section = $state<SectionId>('runs');
  selectedRunId = $state<string | null>(null);

  showRun(id: string) {
    this.selectedRunId = id;
    this.section = 'runs';
  }
}

export const navigation = new Navigation();
