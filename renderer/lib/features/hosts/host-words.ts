import type { HostRecord, HostState, RefusalReason } from '../../../../contract/hosts';
import { m } from '../../i18n/messages';

const stateWords: Record<HostState, () => string> = {
  connecting: m.hosts_state_connecting,
  connected: m.hosts_state_connected,
  refused: m.hosts_state_refused,
  unreachable: m.hosts_state_unreachable,
};

const refusals: Record<RefusalReason, () => string> = {
  token: m.hosts_refused_token,
  'host-header': m.hosts_refused_host_header,
  origin: m.hosts_refused_origin,
  'not-forkscope': m.hosts_refused_not_forkscope,
};

/** One word for a picker's option: "connected", "refused"… */
export function hostStateWord(host: HostRecord): string {
  return stateWords[host.state]();
}

/** What a person can act on: why it was refused, or what failed and that it is retried. */
export function hostStateSentence(host: HostRecord): string {
  if (host.state === 'refused' && host.refusal) return refusals[host.refusal]();
  if (host.state === 'unreachable') return m.hosts_unreachable_detail({ detail: host.detail ?? '?' });
  return stateWords[host.state]();
}
