// Seed program 3 (multiprocessing.Pool), in JavaScript: Pool(4) runs five of these tasks;
// each prints its worker's pid and sleeps a random 0–3 s. The fifth task starts on the first
// worker that frees.

/** @param {number} name */
export async function longTimeTask(name) {
  console.log(`Run task ${name} (${process.pid})...`);
  const start = Date.now();
  await new Promise((resolve) => setTimeout(resolve, Math.random() * 3000));
  const seconds = (Date.now() - start) / 1000;
  console.log(`Task ${name} runs ${seconds.toFixed(2)} seconds.`);
  return { task: name, pid: process.pid, seconds };
}
