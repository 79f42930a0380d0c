import { randomBytes } from 'node:crypto';
import type { CallContext } from '../../contract/dispatcher';
import { ForkscopeError } from '../../contract/errors';
import type { HostRecord, HostsMemory, HostsMemoryProblem } from '../../contract/hosts';
import { events, isMethodName, methods, type EventName, type EventPayload } from '../../contract/index';
import {
  describeHostsProblem,
  readHostsFile,
  writeHostsFile,
  type RememberedHost,
  type StoredToken,
} from './hosts-file';
import { RemoteHost } from './remote-host';
import type { TokenSealer } from './token-sealer';

/** Where the added hosts are remembered (a file in the log root), and the desktop app's token sealer. */
export interface HostsMemoryOptions {
  file: string;
  sealer?: TokenSealer | undefined;
}

/** What the hosts publish: the host's broadcast (main/api/host.ts). */
export type PublishHostEvent = <E extends Extract<EventName, `hosts.${string}`>>(
  name: E,
  payload: EventPayload<E>,
) => void;

/** Methods never relayed: hosts.* would chain hosts (and loop), events.* is what hosts.subscribe does. */
function relayable(method: string): boolean {
  return !method.startsWith('hosts.') && !method.startsWith('events.');
}

function eventNameOf(name: string): EventName {
  if (!Object.hasOwn(events, name) || name.startsWith('hosts.'))
    throw new ForkscopeError('invalid-params', `There is no event named "${name}" to relay.`);
  return name as EventName;
}

/**
 * The other hosts this Forkscope is connected to. Calls are relayed with the contract checked on
 * both sides of the hop: the input here before it leaves (the other host checks it again), the
 * answer and every event when they come back (another machine may run another version).
 *
 * Events: a host's event is listened to on its connection while some local connection asked for
 * it (hosts.subscribe), counted per connection and dropped when that connection goes; each one is
 * published once as `hosts.event`, to the connections subscribed to `hosts.event`.
 *
 * With a memory, every host added is remembered (and forgotten when removed), and the hosts
 * remembered are added again at start: they connect as if just added.
 */
export class RemoteHosts {
  readonly #hosts = new Map<string, RemoteHost>();
  /** Per host and event name: who asked (a connection, by its call signal) and the listener while any did. */
  readonly #relays = new Map<string, { askers: Set<AbortSignal>; stop: () => void }>();
  /** Per asking connection, the relays it holds: dropped together when it goes. */
  readonly #asked = new Map<AbortSignal, Set<string>>();

  /** Each host as it is remembered: its token as stored (sealed or not), written back unchanged. */
  readonly #remembered = new Map<string, RememberedHost>();
  #problem: HostsMemoryProblem | null = null;

  constructor(
    private readonly publish: PublishHostEvent,
    private readonly memory?: HostsMemoryOptions,
  ) {
    if (!memory) return;
    const { hosts, problem } = readHostsFile(memory.file);
    this.#problem = problem;
    if (problem) console.error(`forkscope: ${describeHostsProblem(problem)}.`);
    for (const host of hosts) {
      // A token sealed by a key not here (another user, or read by serve mode) is sent empty: the
      // host says "refused: wrong token", which adding it again with its token fixes.
      const token =
        host.token.kind === 'file' ? host.token.token : (memory.sealer?.open(host.token.sealed) ?? '');
      this.#open(host.id, host.name, new URL(host.url), host.via, token);
      this.#remembered.set(host.id, host);
    }
  }

  memoryInfo(): HostsMemory {
    return {
      file: this.memory?.file ?? null,
      tokens: this.memory ? (this.memory.sealer ? 'safeStorage' : 'file') : null,
      problem: this.#problem,
    };
  }

  list(): HostRecord[] {
    return [...this.#hosts.values()].map((host) => host.record());
  }

  add(input: {
    url: string;
    token: string;
    name?: string | undefined;
    via?: number | undefined;
  }): HostRecord {
    const url = new URL(input.url);
    const via = input.via ?? null;
    const same = [...this.#hosts.values()].find((host) => host.url.origin === url.origin && host.via === via);
    if (same) return this.#newToken(same, input.token);
    const id = `h${randomBytes(6).toString('hex')}`;
    const host = this.#open(id, input.name ?? url.host, url, via, input.token);
    this.#remembered.set(id, { id, name: host.name, url: url.origin, via, token: this.#store(input.token) });
    this.#save();
    const record = host.record();
    this.publish('hosts.updated', record);
    return record;
  }

  /** The same address added again: while it is not connected, with the token given (remembered too). */
  #newToken(host: RemoteHost, token: string): HostRecord {
    if (host.connected)
      throw new ForkscopeError('refused', `${host.url.origin} is already added as "${host.name}".`);
    const remembered = this.#remembered.get(host.id);
    if (remembered) {
      this.#remembered.set(host.id, { ...remembered, token: this.#store(token) });
      this.#save();
    }
    host.retryWith(token);
    return host.record();
  }

  remove(id: string): null {
    const host = this.#host(id);
    for (const [key, relay] of this.#relays) {
      if (!key.startsWith(`${id}\n`)) continue;
      relay.stop();
      this.#relays.delete(key);
    }
    host.close();
    this.#hosts.delete(id);
    if (this.#remembered.delete(id)) this.#save();
    this.publish('hosts.removed', { id });
    return null;
  }

  async call(id: string, method: string, params: unknown): Promise<unknown> {
    if (!isMethodName(method) || !relayable(method))
      throw new ForkscopeError('unknown-method', `There is no method named "${method}" to call on a host.`);
    const input = methods[method].input.safeParse(params);
    if (!input.success)
      throw new ForkscopeError(
        'invalid-params',
        `Invalid parameters for ${method}: ${input.error.issues[0]?.message}.`,
      );
    const host = this.#host(id);
    if (!host.connected)
      throw new ForkscopeError('unavailable', `${host.name} is not connected (${host.record().state}).`);
    const result: unknown = await host.client.call(method, input.data as never);
    const output = methods[method].output.safeParse(result);
    if (!output.success)
      throw new ForkscopeError(
        'internal',
        `${host.name} answered ${method} with something this Forkscope does not understand (another version?).`,
      );
    return output.data;
  }

  subscribe(id: string, names: readonly string[], context: CallContext): null {
    const host = this.#host(id);
    for (const name of names.map(eventNameOf)) {
      const key = `${id}\n${name}`;
      let relay = this.#relays.get(key);
      if (!relay) {
        const stop = host.client.on(name, (payload) => {
          const checked = events[name].payload.safeParse(payload);
          if (checked.success) this.publish('hosts.event', { host: id, name, payload: checked.data });
        });
        this.#relays.set(key, (relay = { askers: new Set(), stop }));
      }
      relay.askers.add(context.signal);
      this.#askedBy(context.signal).add(key);
    }
    return null;
  }

  unsubscribe(id: string, names: readonly string[], context: CallContext): null {
    this.#host(id);
    for (const name of names.map(eventNameOf)) this.#drop(`${id}\n${name}`, context.signal);
    return null;
  }

  close(): void {
    for (const relay of this.#relays.values()) relay.stop();
    this.#relays.clear();
    this.#asked.clear();
    for (const host of this.#hosts.values()) host.close();
    this.#hosts.clear();
  }

  #open(id: string, name: string, url: URL, via: number | null, token: string): RemoteHost {
    const host = new RemoteHost(id, name, url, via, token, (record) => this.publish('hosts.updated', record));
    this.#hosts.set(id, host);
    return host;
  }

  #store(token: string): StoredToken {
    const sealer = this.memory?.sealer;
    return sealer ? { kind: 'safeStorage', sealed: sealer.seal(token) } : { kind: 'file', token };
  }

  /** A failed save keeps the host for this session, says so once, and is tried again at the next change. */
  #save() {
    if (!this.memory) return;
    try {
      writeHostsFile(this.memory.file, [...this.#remembered.values()]);
      // A file written again is the list from now on: what was wrong with the old one is past.
      this.#problem = null;
    } catch (error) {
      const detail = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
      const told = this.#problem?.kind === 'unwritable';
      this.#problem = { kind: 'unwritable', file: this.memory.file, detail, movedTo: null };
      if (!told) console.error(`forkscope: ${describeHostsProblem(this.#problem)}.`);
    }
  }

  #askedBy(signal: AbortSignal): Set<string> {
    let keys = this.#asked.get(signal);
    if (!keys) {
      this.#asked.set(signal, (keys = new Set()));
      // The asking connection's end is its unsubscription from everything it asked for.
      signal.addEventListener('abort', () => {
        for (const key of this.#asked.get(signal) ?? []) this.#drop(key, signal);
        this.#asked.delete(signal);
      });
    }
    return keys;
  }

  #drop(key: string, asker: AbortSignal) {
    this.#asked.get(asker)?.delete(key);
    const relay = this.#relays.get(key);
    if (!relay?.askers.delete(asker) || relay.askers.size > 0) return;
    relay.stop();
    this.#relays.delete(key);
  }

  #host(id: string): RemoteHost {
    const host = this.#hosts.get(id);
    if (!host) throw new ForkscopeError('not-found', `There is no host with id "${id}".`);
    return host;
  }
}
