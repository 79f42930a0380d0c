import type { RecordingInfo } from '../../../../contract';
import { api, onConnectionOpen } from '../../api.svelte';
import { describeError } from '../../shell/alerts.svelte';
import { navigation } from '../../shell/navigation.svelte';
import { chromeTrace } from './chrome-trace';
import { readRecordingBytes } from './recording-file';
import { buildReplay, type Replay, type ReplayPool } from './replay-model';
import { taskTable } from './task-table';

export const speeds = [1, 10, 100] as const;

/**
 * The Recordings view's state: the recordings the server offers, the ones opened (from the
 * server or a file dropped on the page), and the cursor. It reads recordings through the API
 * and never touches the live stores: a replay is a value, drawn by the view at the cursor.
 */
class ReplayStore {
  available = $state.raw<RecordingInfo[]>([]);
  opened = $state.raw<Replay[]>([]);
  currentIndex = $state(0);
  cursor = $state(0);
  speed = $state<number | null>(null);
  loading = $state<string | null>(null);
  /** The one sentence saying why the last file could not be opened. */
  error = $state<string | null>(null);
  #frame = 0;

  constructor() {
    const wanted = new URLSearchParams(location.hash.slice(1)).get('recording');
    if (wanted) navigation.section = 'replay';
    // A recording dropped anywhere on the window opens here (the browser would otherwise navigate to it).
    const hasFiles = (event: DragEvent) => event.dataTransfer?.types.includes('Files') ?? false;
    addEventListener('dragover', (event) => {
      if (hasFiles(event)) event.preventDefault();
    });
    addEventListener('drop', (event) => {
      if (!hasFiles(event)) return;
      event.preventDefault();
      const file = event.dataTransfer?.files[0];
      if (file) void this.openFile(file);
    });
    let first = true;
    onConnectionOpen(() => {
      void this.refresh().then(() => {
        if (first && wanted) void this.openById(wanted);
        first = false;
      });
    });
  }

  get current(): Replay | null {
    return this.opened[this.currentIndex] ?? null;
  }

  async refresh(): Promise<void> {
    try {
      this.available = await api.call('recordings.list', {});
    } catch (error) {
      this.error = describeError(error).message;
    }
  }

  async openById(id: string): Promise<void> {
    const info = this.available.find((recording) => recording.id === id);
    const name = info?.name ?? id;
    await this.#load(name, async () => {
      const parts: Uint8Array<ArrayBuffer>[] = [];
      let total = 0;
      for (let offset = 0; ;) {
        const part = await api.call('recordings.read', { id, offset });
        const bytes = Uint8Array.from(atob(part.data), (c) => c.charCodeAt(0));
        parts.push(bytes);
        total += bytes.length;
        offset += bytes.length;
        if (part.done || bytes.length === 0) break;
      }
      const all = new Uint8Array(total);
      let at = 0;
      for (const part of parts) {
        all.set(part, at);
        at += part.length;
      }
      return all;
    });
  }

  async openFile(file: File): Promise<void> {
    await this.#load(file.name, async () => new Uint8Array(await file.arrayBuffer()));
  }

  async #load(name: string, bytes: () => Promise<Uint8Array<ArrayBuffer>>): Promise<void> {
    this.loading = name;
    this.error = null;
    try {
      const replay = buildReplay(await readRecordingBytes(name, await bytes()));
      this.opened = [...this.opened, replay];
      this.show(this.opened.length - 1);
      navigation.section = 'replay';
    } catch (error) {
      this.error = describeError(error).message;
    } finally {
      this.loading = null;
    }
  }

  show(index: number): void {
    this.pause();
    this.currentIndex = index;
    this.cursor = this.opened[index]?.end ?? 0;
  }

  close(index: number): void {
    this.pause();
    this.opened = this.opened.filter((_, i) => i !== index);
    this.currentIndex = Math.max(0, Math.min(this.currentIndex, this.opened.length - 1));
    this.cursor = this.current?.end ?? 0;
  }

  seek(t: number): void {
    const replay = this.current;
    if (!replay) return;
    this.cursor = Math.min(replay.end, Math.max(replay.start, t));
  }

  /** Plays from the cursor (from the start when it is at the end) at 1×, 10× or 100×. */
  play(speed: number): void {
    const replay = this.current;
    if (!replay) return;
    this.pause();
    if (this.cursor >= replay.end) this.cursor = replay.start;
    this.speed = speed;
    let last = performance.now();
    const step = (now: number) => {
      this.seek(this.cursor + (now - last) * speed);
      last = now;
      if (this.cursor >= replay.end) this.speed = null;
      else this.#frame = requestAnimationFrame(step);
    };
    this.#frame = requestAnimationFrame(step);
  }

  pause(): void {
    cancelAnimationFrame(this.#frame);
    this.speed = null;
  }

  exportTrace(replay: Replay, runId: string | null): void {
    const trace = chromeTrace(replay, runId);
    download(
      `${stem(replay.name)}${runId ? `-${runId}` : ''}.trace.json`,
      JSON.stringify(trace),
      'application/json',
    );
  }

  exportTasks(replay: Replay, pool: ReplayPool, format: 'csv' | 'tsv'): void {
    const mime = format === 'csv' ? 'text/csv' : 'text/tab-separated-values';
    download(`${stem(replay.name)}-${pool.record.id}-tasks.${format}`, taskTable(pool, format), mime);
  }
}

const stem = (name: string) => name.replace(/\.fsrec$/, '');

function download(filename: string, text: string, mime: string): void {
  const url = URL.createObjectURL(new Blob([text], { type: mime }));
  const link = document.createElement('a');
  link.href = url;
  link.download = filename;
  link.click();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

export const replays = new ReplayStore();
