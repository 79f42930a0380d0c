import { z } from 'zod';
import { event, method } from './define';

/**
 * Other hosts' serve mode, connected to from this Forkscope (the desktop app or serve mode) by
 * URL and token, usually through an SSH tunnel. This Forkscope relays calls and events; the other
 * host's serve mode checks the token, Host and Origin as it does for a browser.
 */

/** `local` is this machine; other ids are given by `hosts.add`. */
export const localHostId = 'local';
export const hostId = z.string().min(1).max(64);

/**
 * `connecting` (first attempt, or again after a loss), `connected`, `refused` (the host answered
 * and said no: wrong token, Host or Origin not accepted, not a Forkscope), `unreachable` (nothing
 * answered, or the connection was lost; retried with backoff).
 */
export const hostState = z.enum(['connecting', 'connected', 'refused', 'unreachable']);
export type HostState = z.infer<typeof hostState>;

/** Why a host refused, when it did: the renderer says it in the user's language. */
export const refusalReason = z.enum(['token', 'host-header', 'origin', 'not-forkscope']);
export type RefusalReason = z.infer<typeof refusalReason>;

/** A host as this Forkscope sees it. Never carries the token. */
export const hostRecord = z.object({
  id: hostId,
  name: z.string(),
  /** The serve mode's address as it printed it, without the token (`http://127.0.0.1:7777`). */
  url: z.string(),
  /** A local port the connection goes through (an SSH tunnel's `-L PORT`), or null: straight to `url`. */
  via: z.number().int().nullable(),
  /** The address is this machine's loopback: a tunnel (or a local serve mode); otherwise the network is crossed unencrypted. */
  loopback: z.boolean(),
  state: hostState,
  refusal: refusalReason.nullable(),
  /** The last error in English, for details (`ECONNREFUSED`, `HTTP 401`…); null when connected. */
  detail: z.string().nullable(),
  /** Epoch ms of the next attempt while not connected; null when connected or connecting. */
  retryAt: z.number().nullable(),
});
export type HostRecord = z.infer<typeof hostRecord>;

/**
 * What went wrong with the remembered hosts: the file could not be read, was damaged (not JSON of
 * its shape; moved aside to `movedTo` when it could be), or the last change could not be saved.
 * The list starts empty (or stays as it is) rather than failing.
 */
export const hostsMemoryProblem = z.object({
  kind: z.enum(['unreadable', 'damaged', 'unwritable']),
  file: z.string(),
  /** In English, for details: `EACCES`, `hosts.0.url: …`, `Unexpected token…`. */
  detail: z.string(),
  movedTo: z.string().nullable(),
});
export type HostsMemoryProblem = z.infer<typeof hostsMemoryProblem>;

/** Where the added hosts are remembered across restarts, and how their tokens are kept. */
export const hostsMemory = z.object({
  /** null: not remembered (a Forkscope started without a place for it, e.g. a test's own host). */
  file: z.string().nullable(),
  /** `safeStorage`: sealed with the OS keychain's key (desktop app); `file`: in the file, readable by its owner only. */
  tokens: z.enum(['safeStorage', 'file']).nullable(),
  problem: hostsMemoryProblem.nullable(),
});
export type HostsMemory = z.infer<typeof hostsMemory>;

/** A serve-mode address without credentials (hosts.add, and the hosts this Forkscope remembers). */
export const serveUrl = z
  .string()
  .max(2048)
  .refine((text) => {
    try {
      const url = new URL(text);
      return ['http:', 'https:', 'ws:', 'wss:'].includes(url.protocol) && !url.username && !url.password;
    } catch {
      return false;
    }
  }, 'must be a serve-mode address such as http://127.0.0.1:7777');

/** A call relayed to a host: any contract method but `hosts.*` (no chains of hosts) and `events.*`. */
export const relayedCall = z.object({
  host: hostId,
  method: z.string().max(100),
  params: z.unknown(),
});

const hostEventNames = z.object({ host: hostId, names: z.array(z.string().max(100)).max(100) });

export const hostMethods = {
  'hosts.list': method(
    'The other hosts this Forkscope connects to, with their state.',
    z.object({}).default({}),
    z.array(hostRecord),
  ),
  'hosts.add': method(
    'Connect to another host’s serve mode by its address and token, and remember it (the token is never sent back). The address of a host already added and not connected: its token is replaced (its serve mode restarted with a new one).',
    z.object({
      url: serveUrl,
      token: z.string().min(1).max(512),
      /**
       * Connect through this port on 127.0.0.1 (`ssh -L 7777:127.0.0.1:PORT server`) while
       * presenting `url`'s host and port, which the other serve mode's Host check expects.
       */
      via: z.number().int().min(1).max(65535).optional(),
      name: z.string().trim().min(1).max(80).optional(),
    }),
    hostRecord,
  ),
  'hosts.memory': method(
    'Where the added hosts are remembered, how their tokens are kept, and what went wrong with the file if anything.',
    z.object({}).default({}),
    hostsMemory,
  ),
  'hosts.remove': method(
    'Disconnect from a host and forget it and its token, here and in the remembered hosts.',
    z.object({ id: hostId }),
    z.null(),
  ),
  'hosts.call': method(
    'Call a method on a connected host; its answer is checked with the contract as this host’s own.',
    relayedCall,
    z.unknown(),
  ),
  'hosts.subscribe': method(
    'Relay these events of a host to this connection (as hosts.event) from now on.',
    hostEventNames,
    z.null(),
  ),
  'hosts.unsubscribe': method(
    'Stop relaying these events of a host to this connection.',
    hostEventNames,
    z.null(),
  ),
} as const;

export const hostEvents = {
  'hosts.updated': event('A host was added, or its connection state changed.', hostRecord),
  'hosts.removed': event('A host was removed.', z.object({ id: hostId })),
  'hosts.event': event(
    'An event of a connected host that a connection asked for with hosts.subscribe, checked with the contract.',
    z.object({ host: hostId, name: z.string(), payload: z.unknown() }),
  ),
} as const;
