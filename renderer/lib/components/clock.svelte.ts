let timer: ReturnType<typeof setInterval> | null = null;

/** The current time, ticking once a second from the first time something shows a live duration. */
class Clock {
  #now = $state(Date.now());

  get now(): number {
    timer ??= setInterval(() => (this.#now = Date.now()), 1000);
    return this.#now;
  }
}

export const clock = new Clock();
