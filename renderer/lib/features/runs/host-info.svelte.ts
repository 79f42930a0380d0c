import type { HostInfo } from '../../../../contract/app';
import { api, onConnectionOpen } from '../../api.svelte';
import { m } from '../../i18n/messages';

/** How the server keeps each run's processes together (app.info), fetched on every (re)connect. */
class HostInfoStore {
  info = $state.raw<HostInfo | null>(null);

  constructor() {
    onConnectionOpen(() => {
      api.call('app.info', {}).then(
        (info) => (this.info = info),
        () => {},
      );
    });
  }
}

export const hostInfo = new HostInfoStore();

const modeLabels: Record<HostInfo['containment']['mode'], () => string> = {
  cgroup: m.containment_cgroup,
  groups: m.containment_groups,
  tree: m.containment_tree,
};

export function containmentLabel(info: HostInfo): string {
  return m.containment({ mode: modeLabels[info.containment.mode]() });
}
