// Built-in function tasks for pools: the Pools view offers them, and the tests and the
// benchmark use them. Each is an ordinary exported function: the pool calls it with JSON args.

/** @param {number} x */
export function square(x) {
  return x * x;
}

/** @param {unknown} x */
export function identity(x) {
  return x;
}

/** @param {number} a @param {number} b */
export function add(a, b) {
  return a + b;
}

/** Sleeps, then returns its value. @param {number} ms @param {unknown} [value] */
export async function sleep(ms, value = null) {
  await new Promise((resolve) => setTimeout(resolve, ms));
  return value;
}

/** Prints its pid and a line, sleeps a random time up to maxMs. @param {unknown} name @param {number} [maxMs] */
export async function work(name, maxMs = 200) {
  console.log(`task ${JSON.stringify(name)} on pid ${process.pid}`);
  const ms = Math.round(Math.random() * maxMs);
  await new Promise((resolve) => setTimeout(resolve, ms));
  return { name, pid: process.pid, ms };
}

/** Throws, so the error and its stack come back. @param {string} [message] */
export function fail(message = 'this task fails on purpose') {
  throw new RangeError(message);
}

/** Never returns (for timeouts and kills). */
export function hang() {
  return new Promise(() => setInterval(() => {}, 1000));
}

/** Ends its worker outright. @param {number} [code] */
export function crash(code = 3) {
  process.exit(code);
}

/** Prints lines on both streams, then returns how many. @param {string} tag @param {number} [lines] */
export function chatter(tag, lines = 3) {
  for (let i = 0; i < lines; i++) console.log(`${tag} out ${i}`);
  console.error(`${tag} err`);
  return lines;
}

/** Fibonacci, the slow way: CPU-bound work. @param {number} n @returns {number} */
export function fib(n) {
  return n < 2 ? n : fib(n - 1) + fib(n - 2);
}

let initialized = 0;
/** @type {unknown} */
let initTag = null;

/** A pool initializer: runs once in each worker before its first task. @param {unknown} tag */
export function initWorker(tag) {
  initialized++;
  initTag = tag;
  console.log(`initializer ran in pid ${process.pid} with ${JSON.stringify(tag)}`);
}

/** An initializer that always fails (the pool degrades). */
export function badInit() {
  throw new Error('initializer failed on purpose');
}

/** Which worker ran it, and how often its initializer ran there. */
export function whoami() {
  return { pid: process.pid, initialized, initTag };
}
