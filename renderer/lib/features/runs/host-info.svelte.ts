import type { HostInfo } from '../../../../contract/app';
import { m } from '../../i18n/messages';
import type { HostConnection } from '../hosts/host-connection';

/**
 * How each host keeps its runs' processes together (app.info), asked of that host itself — through
 * the relay for another host, never this machine's answer for it — on every (re)connect.
 */
class HostInfoStore {
  byHost = $state.raw<ReadonlyMap<string, HostInfo>>(new Map());

  of(host: string): HostInfo | null {
    return this.byHost.get(host) ?? null;
  }

  /** Keeps `host`'s info current while the returned stop is not called. */
  watch(host: HostConnection): () => void {
    return host.onOpen(() => {
      host.client.call('app.info', {}).then(
        (info) => {
          // eslint-disable-next-line svelte/prefer-svelte-reactivity -- built here, then published whole via $state.raw
          const next = new Map(this.byHost);
          this.byHost = next.set(host.id, info);
        },
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
