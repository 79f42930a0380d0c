import type { HostInfo } from '../../../../contract/app';
import { api, onConnectionOpen } from '../../api.svelte';

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

const modeLabels: Record<HostInfo['containment']['mode'], string> = {
  cgroup: 'cgroup per run',
  groups: 'process groups + watchdog',
  tree: 'process tree (taskkill)',
};

export function containmentLabel(info: HostInfo): string {
  return `Containment: ${modeLabels[info.containment.mode]}`;
}
