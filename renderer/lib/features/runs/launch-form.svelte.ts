import { navigation } from '../../shell/navigation.svelte';
import { draftToParams, emptyDraft, type LaunchDraft } from './launch-input';
import { runs } from './runs.svelte';

/** The launch form's state: kept between visits so a command can be tweaked and launched again. */
class LaunchForm {
  draft = $state<LaunchDraft>({ ...emptyDraft });
  problem = $state<{ field: keyof LaunchDraft; message: string } | null>(null);
  busy = $state(false);

  async submit(): Promise<void> {
    const parsed = draftToParams(this.draft);
    if (!parsed.ok) {
      this.problem = { field: parsed.field, message: parsed.message };
      return;
    }
    this.problem = null;
    this.busy = true;
    try {
      const record = await runs.launch(parsed.value);
      if (record) navigation.showRun(record.id);
    } finally {
      this.busy = false;
    }
  }

  reset() {
    this.draft = { ...emptyDraft };
    this.problem = null;
  }
}

export const launchForm = new LaunchForm();
