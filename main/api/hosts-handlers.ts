import type { Handlers } from '../../contract/dispatcher';
import type { RemoteHosts } from '../hosts/remote-hosts';

type HostsMethod = Extract<keyof Handlers, `hosts.${string}`>;

/** The other hosts' methods: the registry in main/hosts/ does the work. */
export function createHostsHandlers(hosts: RemoteHosts): Pick<Handlers, HostsMethod> {
  return {
    'hosts.list': () => hosts.list(),
    'hosts.add': (input) => hosts.add(input),
    'hosts.memory': () => hosts.memoryInfo(),
    'hosts.remove': ({ id }) => hosts.remove(id),
    'hosts.call': ({ host, method, params }) => hosts.call(host, method, params),
    'hosts.subscribe': ({ host, names }, context) => hosts.subscribe(host, names, context),
    'hosts.unsubscribe': ({ host, names }, context) => hosts.unsubscribe(host, names, context),
  };
}
