import { SvelteMap } from 'svelte/reactivity';
import type {
  EventPayload,
  LaunchParams,
  OutputLine,
  RunRecord,
  StreamName,
  UnfinishedLines,
} from '../../../../contract';
import { localHostId } from '../../../../contract/hosts';
import type { HostConnection } from '../hosts/host-connection';
import { localConnection } from '../hosts/hosts.svelte';
import { m } from '../../i18n/messages';
import { alerts } from '../../shell/alerts.svelte';
import { navigation } from '../../shell/navigation.svelte';
import { echoLines, type ConsoleLine } from './console-lines';
import { alertLogChanges, logDownloadUrl } from './log-alerts';
import {
  emptyWindows,
  interleave,
  mergeStreamWindows,
  windowsContiguous,
  type StreamWindows,
} from './output-window';
import { readOutputPages, type ReadPage } from './read-output';
import { buildRunTree } from './run-tree';

/**
 * The most output lines held in memory per stream of a run (stdout and stderr each have their own
 * window, so a flood on one never pushes the other out); the full record is the log file on disk.
 */
export const windowLines = 5000;
/** The most lines one back-fill reads: the server holds at most `windowLines` of each stream. */
const readLines = 2 * windowLines;
const maxMessages = 500;
/** The most stdin echo rows kept per run. */
const maxEchoes = 1000;
/** Terminate's grace period: SIGTERM, then SIGKILL if the run is still there after this long. */
export const terminateGraceMs = 5000;
/** How long a flooding run must be quiet before its window is read whole. */
const quietMs = 400;

export type RunMessage = EventPayload<'runs.message'>;
export type StreamTotals = Record<StreamName, { bytes: number; lines: number }>;

export function isEnded(record: RunRecord): boolean {
  return record.state !== 'running';
}

/** The held windows of one run's output, and the messages between it and Forkscope. */
export class RunOutput {
  /** Each stream's newest lines, apart. */
  windows = $state.raw<StreamWindows>(emptyWindows);
  /** Both windows in the order the lines came (by seq). */
  readonly lines = $derived(interleave(this.windows.stdout, this.windows.stderr));
  /** How much the run wrote in all, from the newest output event (the record may lag behind). */
  totals = $state.raw<StreamTotals>({ stdout: { bytes: 0, lines: 0 }, stderr: { bytes: 0, lines: 0 } });
  messages = $state.raw<RunMessage[]>([]);
  /** Each stream's last line while it has no newline yet: often a prompt waiting for stdin. */
  unfinished = $state.raw<UnfinishedLines>({ stdout: null, stderr: null });
  /**
   * Local echoes of what this page sent to the run's stdin (stream `stdin`, marked `echo`), shown
   * dim in the console between the lines the run wrote. Never sent by the server; not in the log.
   */
  echoes = $state.raw<ConsoleLine[]>([]);
  /** No hole in the held lines: a flood (or a disconnection) can leave some out until a back-fill. */
  readonly contiguous = $derived(windowsContiguous(this.windows, windowLines));
  /** False until the window was read from the server once (runs started before the page opened). */
  filled = false;
  filling: Promise<void> | null = null;

  append(lines: readonly OutputLine[]) {
    this.windows = mergeStreamWindows(this.windows, lines, windowLines);
  }

  updateTotals(totals: StreamTotals) {
    const { stdout, stderr } = this.totals;
    // Events and records can arrive out of step: totals only ever grow.
    this.totals = {
      stdout: {
        bytes: Math.max(stdout.bytes, totals.stdout.bytes),
        lines: Math.max(stdout.lines, totals.stdout.lines),
      },
      stderr: {
        bytes: Math.max(stderr.bytes, totals.stderr.bytes),
        lines: Math.max(stderr.lines, totals.stderr.lines),
      },
    };
  }

  get totalLines(): number {
    return this.totals.stdout.lines + this.totals.stderr.lines;
  }

  /** Lines of `stream` the run wrote that this window does not hold (older ones, or skipped in a flood). */
  missing(stream: StreamName): number {
    return Math.max(0, this.totals[stream].lines - this.windows[stream].length);
  }

  /** Whether a back-fill could show more than what is held now. */
  get incomplete(): boolean {
    const short = (stream: StreamName) =>
      this.windows[stream].length < Math.min(windowLines, this.totals[stream].lines);
    return !this.filled || !this.contiguous || short('stdout') || short('stderr');
  }

  /** Echo rows for `payload`, placed after the newest line held now (call it before sending). */
  echoFor(payload: string): ConsoleLine[] {
    return echoLines(payload, this.lines.at(-1)?.seq ?? -1, this.echoes, Date.now(), this.unfinished);
  }

  addEchoes(echoes: readonly ConsoleLine[]) {
    const all = [...this.echoes, ...echoes].sort((a, b) => a.seq - b.seq);
    this.echoes = all.length > maxEchoes ? all.slice(-maxEchoes) : all;
  }

  addMessage(message: RunMessage) {
    const messages = [...this.messages, message];
    this.messages = messages.length > maxMessages ? messages.slice(-maxMessages) : messages;
  }
}

/**
 * Every run Forkscope started, live: loaded with `runs.list` whenever the connection opens,
 * kept current by `runs.updated`, with each run's output window fed by `runs.output` and
 * back-filled with `runs.readOutput` when a run is shown or after a reconnect.
 */
class RunsStore {
  readonly #records = new SvelteMap<string, RunRecord>();
  readonly #outputs = new SvelteMap<string, RunOutput>();
  /** Timers, not state: nothing renders from them. */
  readonly #quietTimers = new Map<string, ReturnType<typeof setTimeout>>();
  loaded = $state(false);
  /** Runs being terminated (SIGTERM sent), with when SIGKILL follows if they are still running. */
  readonly terminating = new SvelteMap<string, number>();

  readonly all = $derived([...this.#records.values()]);
  readonly tree = $derived(buildRunTree(this.all));
  readonly runningCount = $derived(this.all.filter((record) => record.state === 'running').length);
  readonly finishedCount = $derived(this.all.length - this.runningCount);

  /** The host whose runs are shown: this machine, or another host through main's relay. */
  #host: HostConnection = localConnection;
  readonly #stops: (() => void)[] = [];
  host = $state(localHostId);

  constructor() {
    this.#listen();
  }

  get #api() {
    return this.#host.client;
  }

  #listen() {
    const api = this.#api;
    this.#stops.push(
      api.on('runs.updated', (record) => this.#upsert(record)),
      api.on('runs.output', (event) => {
        const output = this.#outputFor(event.id);
        output.append(event.lines);
        output.unfinished = event.unfinished;
        output.updateTotals(event);
        if (event.skipped > 0) this.#fillWhenQuiet(event.id);
      }),
      api.on('runs.message', (message) => this.#outputFor(message.id).addMessage(message)),
      this.#host.onOpen((reconnected) => void this.load(reconnected)),
    );
  }

  /** Shows another host's runs (or this machine's again): what was held is forgotten, that host's list loaded. */
  useHost(host: HostConnection): void {
    if (host.id === this.host) return;
    for (const stop of this.#stops.splice(0)) stop();
    this.#host = host;
    this.host = host.id;
    this.#records.clear();
    this.#outputs.clear();
    this.loaded = false;
    navigation.selectedRunId = null;
    this.#listen();
  }

  /** A run's log to download: serve mode serves this machine's logs only (another host's stay there). */
  logUrl(id: string, stream: StreamName): string | null {
    return this.host === localHostId ? logDownloadUrl(id, stream) : null;
  }

  get(id: string | null | undefined): RunRecord | undefined {
    return id ? this.#records.get(id) : undefined;
  }

  output(id: string | null | undefined): RunOutput | undefined {
    return id ? this.#outputs.get(id) : undefined;
  }

  async load(reconnected = false): Promise<void> {
    const host = this.#host;
    const list = await alerts.attempt(m.runs_action_load(), () => host.client.call('runs.list', {}));
    // The answer of a host no longer shown is not this list's.
    if (!list || host !== this.#host) return;
    const known = new Set(list.map((record) => record.id));
    for (const id of [...this.#records.keys()]) if (!known.has(id)) this.#forget(id);
    for (const record of list) this.#upsert(record, true);
    if (reconnected) for (const output of this.#outputs.values()) output.filled = false;
    this.loaded = true;
    const shown = navigation.selectedRunId;
    if (shown && this.#records.has(shown)) void this.fill(shown);
  }

  /** Reads the newest window of a run's output from the server and merges it with what is held. */
  fill(id: string): Promise<void> {
    const output = this.#outputs.get(id);
    const record = this.#records.get(id);
    if (!output || !record) return Promise.resolve();
    output.filling ??= this.#readWindow(id, record, output).finally(() => (output.filling = null));
    return output.filling;
  }

  async #readWindow(id: string, record: RunRecord, output: RunOutput): Promise<void> {
    output.updateTotals(record.output);
    try {
      const read: ReadPage = (fromSeq, limit) => this.#api.call('runs.readOutput', { id, fromSeq, limit });
      // The server keeps each stream's newest lines apart (at most `windowLines` each): a quiet
      // stream's lines may be far older than another's flood, so read all it holds, from its oldest.
      const page = await readOutputPages(read, 0, readLines, (next) => output.append(next.lines));
      output.unfinished = page.unfinished;
      output.filled = true;
    } catch (error) {
      alerts.report(m.runs_action_output(), error);
    }
  }

  /** Makes sure a run just started elsewhere (an example) is known before it is shown. */
  async ensure(id: string): Promise<void> {
    // Started here (an example): shown among this machine's runs.
    this.useHost(localConnection);
    if (this.#records.has(id)) return;
    const record = await alerts.attempt(m.runs_action_run(), () => this.#api.call('runs.get', { id }));
    if (record) this.#upsert(record);
  }

  async launch(params: LaunchParams): Promise<RunRecord | undefined> {
    const record = await alerts.attempt(m.runs_action_launch(), () => this.#api.call('runs.launch', params));
    if (record) this.#upsert(record);
    return record;
  }

  /** Writes `text` to the run's stdin; once written, it is echoed in the console (locally). */
  async writeStdin(id: string, text: string): Promise<boolean> {
    // Placed where the output stood when it was sent: an answer may arrive before the reply.
    const echoes = this.#outputFor(id).echoFor(text);
    const done = await alerts.attempt(m.runs_action_stdin(), () =>
      this.#api.call('runs.writeStdin', { id, text }),
    );
    if (done === undefined) return false;
    this.#outputs.get(id)?.addEchoes(echoes);
    return true;
  }

  async closeStdin(id: string): Promise<void> {
    await alerts.attempt(m.runs_action_close_stdin(), () => this.#api.call('runs.closeStdin', { id }));
  }

  /** SIGTERM, then SIGKILL after the grace period: the reply comes once the run has ended. */
  async terminate(id: string): Promise<void> {
    this.terminating.set(id, Date.now() + terminateGraceMs);
    try {
      const record = await alerts.attempt(m.runs_action_terminate(), () =>
        this.#api.call('runs.terminate', { id, graceMs: terminateGraceMs }),
      );
      if (record) this.#upsert(record);
    } finally {
      this.terminating.delete(id);
    }
  }

  async kill(id: string): Promise<void> {
    const record = await alerts.attempt(m.runs_action_kill(), () => this.#api.call('runs.kill', { id }));
    if (record) this.#upsert(record);
  }

  /** Forgets ended runs on the server and here; their logs stay on disk unless `deleteLogs`. */
  async clearFinished(deleteLogs = false): Promise<void> {
    const cleared = await alerts.attempt(m.runs_action_clear(), () =>
      this.#api.call('runs.clearFinished', { deleteLogs }),
    );
    if (cleared === undefined) return;
    for (const record of this.all) if (isEnded(record)) this.#forget(record.id);
    if (navigation.selectedRunId && !this.#records.has(navigation.selectedRunId))
      navigation.selectedRunId = null;
  }

  /**
   * A flood sends only the newest lines of each batch, so the held window has holes. Once the
   * shown run has been quiet for a moment, its window is read whole from the server.
   */
  #fillWhenQuiet(id: string) {
    clearTimeout(this.#quietTimers.get(id));
    const timer = setTimeout(() => {
      this.#quietTimers.delete(id);
      if (navigation.selectedRunId === id && this.#outputs.get(id)?.incomplete) void this.fill(id);
    }, quietMs);
    this.#quietTimers.set(id, timer);
  }

  #outputFor(id: string): RunOutput {
    let output = this.#outputs.get(id);
    if (!output) this.#outputs.set(id, (output = new RunOutput()));
    return output;
  }

  #upsert(record: RunRecord, fromList = false) {
    const previous = this.#records.get(record.id);
    // A list answer can be older than an event that overtook it: an ended run never runs again.
    if (fromList && previous && isEnded(previous) && !isEnded(record)) return;
    this.#records.set(record.id, record);
    if (!fromList) alertLogChanges(previous, record, this.#api);
    const output = this.#outputFor(record.id);
    output.updateTotals(record.output);
    // The run just ended while shown: its last window may have holes from a flood; read it whole.
    const justEnded = previous && !isEnded(previous) && isEnded(record);
    if (justEnded && navigation.selectedRunId === record.id && output.incomplete) void this.fill(record.id);
  }

  #forget(id: string) {
    this.#records.delete(id);
    this.#outputs.delete(id);
  }
}

export const runs = new RunsStore();
