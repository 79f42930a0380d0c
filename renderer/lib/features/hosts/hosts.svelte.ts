import { localHostId, type HostRecord, type HostsMemoryProblem } from '../../../../contract/hosts';
import { api, onConnectionOpen } from '../../api.svelte';
import { alerts } from '../../shell/alerts.svelte';
import { m } from '../../i18n/messages';
import type { HostConnection } from './host-connection';
import { relayClient } from './relay-client';

/** This machine, as stores see it. */
export const localConnection: HostConnection = { id: localHostId, client: api, onOpen: onConnectionOpen };

/**
 * The other hosts this Forkscope connects to (hosts.list, kept current by hosts.updated and
 * hosts.removed), and a connection per host for the stores that show one: calls relayed by main.
 */
class HostsStore {
  list = $state.raw<HostRecord[]>([]);
  /** What went wrong remembering the hosts (a damaged or unreadable file, a failed save), if anything. */
  memoryProblem = $state.raw<HostsMemoryProblem | null>(null);
  /** Plain bookkeeping, not state: who waits for a host to (re)connect. */
  readonly #openListeners = new Map<string, Set<(reconnected: boolean) => void>>();
  readonly #connections = new Map<string, HostConnection>();
  /** Hosts connected as last told, and those that ever were (a second open is a reconnect). */
  readonly #connected = new Set<string>();
  readonly #everOpened = new Set<string>();

  constructor() {
    api.on('hosts.updated', (record) => this.#put(record));
    api.on('hosts.removed', ({ id }) => {
      this.list = this.list.filter((host) => host.id !== id);
      this.#connected.delete(id);
      this.#everOpened.delete(id);
    });
    onConnectionOpen((reconnected) => void this.load(reconnected));
  }

  /** After this page's own reconnect, relayed events were missed: connected hosts count as reopened. */
  async load(reconnected = false): Promise<void> {
    const list = await alerts.attempt(m.hosts_loading(), () => api.call('hosts.list', {}));
    if (!list) return;
    if (reconnected) this.#connected.clear();
    this.list = list;
    for (const record of list) this.#noteState(record);
    await this.#loadMemory();
  }

  async #loadMemory() {
    const memory = await api.call('hosts.memory', {}).catch(() => null);
    if (memory) this.memoryProblem = memory.problem;
  }

  get(id: string): HostRecord | undefined {
    return this.list.find((host) => host.id === id);
  }

  /** The host's name; "This machine" for this one. */
  nameOf(id: string): string {
    return id === localHostId ? m.hosts_this_machine() : (this.get(id)?.name ?? id);
  }

  async add(input: {
    url: string;
    token: string;
    name?: string | undefined;
    via?: number;
  }): Promise<HostRecord | undefined> {
    const record = await alerts.attempt(m.hosts_add(), () => api.call('hosts.add', input));
    if (record) this.#put(record);
    // Remembering it may have failed (or worked again): said beside the picker.
    await this.#loadMemory();
    return record;
  }

  async remove(id: string): Promise<void> {
    await alerts.attempt(m.hosts_remove(), () => api.call('hosts.remove', { id }));
    await this.#loadMemory();
  }

  connection(id: string): HostConnection {
    if (id === localHostId) return localConnection;
    let connection = this.#connections.get(id);
    if (!connection) {
      const open = (listener: (reconnected: boolean) => void) => {
        let set = this.#openListeners.get(id);
        // Plain callbacks, not state: nothing renders from this set.
        // eslint-disable-next-line svelte/prefer-svelte-reactivity
        if (!set) this.#openListeners.set(id, (set = new Set()));
        set.add(listener);
        if (this.get(id)?.state === 'connected') listener(false);
        return () => void set.delete(listener);
      };
      connection = { id, client: relayClient(api, id, onConnectionOpen), onOpen: open };
      this.#connections.set(id, connection);
    }
    return connection;
  }

  #put(record: HostRecord) {
    const at = this.list.findIndex((host) => host.id === record.id);
    this.list = at < 0 ? [...this.list, record] : this.list.with(at, record);
    this.#noteState(record);
  }

  /** A host that just connected (again) tells those who load from it. */
  #noteState(record: HostRecord) {
    if (record.state !== 'connected') {
      this.#connected.delete(record.id);
      return;
    }
    if (this.#connected.has(record.id)) return;
    this.#connected.add(record.id);
    const reconnected = this.#everOpened.has(record.id);
    this.#everOpened.add(record.id);
    for (const listener of this.#openListeners.get(record.id) ?? []) listener(reconnected);
  }
}

export const hosts = new HostsStore();
