// Small Process targets that use queues and pipes: the engine tests and the queue benchmark run
// them, and they show the child-side API (handles arrive in args, as Python passes `q`).
import { setTimeout as sleep } from 'node:timers/promises';

/** @typedef {{ put(item: unknown, o?: object): Promise<void>, get(o?: object): Promise<unknown>, taskDone(): Promise<void>, join(o?: object): Promise<void>, qsize(): Promise<number>, close(): Promise<void> }} Queue */
/** @typedef {{ send(item: unknown): Promise<void>, recv(o?: object): Promise<unknown>, poll(t?: number | null): Promise<boolean> }} PipeEnd */

/** Puts `${prefix}-0` … `${prefix}-(count-1)`. @param {Queue} q @param {string} prefix @param {number} count */
export async function produce(q, prefix, count) {
  for (let i = 0; i < count; i++) await q.put(`${prefix}-${i}`);
  return count;
}

/** Gets until it receives null; returns everything it got. @param {Queue} q */
export async function consume(q) {
  const got = [];
  for (;;) {
    const item = await q.get();
    if (item === null) return got;
    got.push(item);
  }
}

/** A get with a timeout (seconds) on a queue expected to stay empty: reports the error. @param {Queue} q @param {number} timeout */
export async function getWithTimeout(q, timeout) {
  const started = Date.now();
  try {
    const item = await q.get({ timeout });
    return { item, elapsedMs: Date.now() - started };
  } catch (error) {
    const e = /** @type {Error & { code: string }} */ (error);
    return { name: e.name, code: e.code, message: e.message, elapsedMs: Date.now() - started };
  }
}

/** Puts n numbers, blocking when the queue is full. @param {Queue} q @param {number} n */
export async function putMany(q, n) {
  for (let i = 0; i < n; i++) await q.put(i);
  return n;
}

/** Waits on get for as long as it takes. @param {Queue} q */
export async function getOne(q) {
  return await q.get();
}

/** JoinableQueue worker: get, (work), taskDone, until null. @param {Queue} q */
export async function joinableWorker(q) {
  let done = 0;
  for (;;) {
    const item = await q.get();
    await sleep(5);
    await q.taskDone();
    if (item === null) return done;
    done++;
  }
}

/** Puts one item on `out`, then waits on `inbox` (used to make a wait-for cycle). @param {Queue} inbox @param {Queue} out */
export async function putThenGet(inbox, out) {
  await out.put('hello');
  return await inbox.get();
}

/** Gets twice from `inbox` while holding `other` (never using it). @param {Queue} inbox @param {Queue} _other */
export async function getTwice(inbox, _other) {
  await inbox.get();
  return await inbox.get();
}

/** Sends `ping i` and waits for the echo, n times. @param {PipeEnd} end @param {number} n */
export async function ping(end, n) {
  const echoes = [];
  for (let i = 0; i < n; i++) {
    await end.send(`ping ${i}`);
    echoes.push(await end.recv());
  }
  await end.send(null);
  return echoes;
}

/** Echoes what arrives until null; polls first to show poll(). @param {PipeEnd} end */
export async function pong(end) {
  const polled = await end.poll(10);
  let count = 0;
  for (;;) {
    const item = await end.recv();
    if (item === null) return { polled, count };
    await end.send(`echo ${String(item)}`);
    count++;
  }
}

/** Benchmark producer: n copies of one string of `size` characters. @param {Queue} q @param {number} n @param {number} size */
export async function benchProduce(q, n, size) {
  const item = size > 0 ? 'x'.repeat(size) : 'hello';
  for (let i = 0; i < n; i++) {
    const waiting = q.put(size > 0 ? item : `m${i}`);
    await waiting;
  }
  return n;
}

/** Benchmark consumer: gets n items; returns the rate from the first item to the last. @param {Queue} q @param {number} n */
export async function benchConsume(q, n) {
  await q.get();
  const started = performance.now();
  let bytes = 0;
  for (let i = 1; i < n; i++) {
    const item = /** @type {string} */ (await q.get());
    bytes += item.length;
  }
  const seconds = (performance.now() - started) / 1000;
  return { perSecond: (n - 1) / seconds, bytesPerSecond: bytes / seconds, seconds };
}
