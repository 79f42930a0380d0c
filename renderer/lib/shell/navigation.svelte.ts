import type { SectionId } from './sections';

/** Which section is shown, and what is selected in it; any view may send the user elsewhere. */
class Navigation {
  section = $state<SectionId>('runs');
  selectedRunId = $state<string | null>(null);

  /** The example a "What am I looking at?" link asked for: its card scrolls into view and opens. */
  shownExample = $state<string | null>(null);

  showExample(id: string) {
    this.shownExample = id;
    this.section = 'examples';
  }

  showRun(id: string) {
    this.selectedRunId = id;
    this.section = 'runs';
  }
}

export const navigation = new Navigation();
