import type { ForkscopeClient } from '../../../../contract/client';

/** What a store needs of a host: calls and events, the same for this machine and another host. */
export type HostClient = Pick<ForkscopeClient, 'call' | 'on'>;

/** A host as a store sees it: its client, and a way to hear when it (re)connects, to load its lists again. */
export interface HostConnection {
  readonly id: string;
  readonly client: HostClient;
  /** Runs `listener` every time the host's connection opens (now, if it is open). */
  onOpen(listener: (reconnected: boolean) => void): () => void;
}
