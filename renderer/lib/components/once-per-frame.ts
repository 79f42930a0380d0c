/**
 * Wraps `run` so that any number of calls within one animation frame run it once, at the frame:
 * stores that take bursts of events re-render once per frame, not once per event.
 */
export function oncePerFrame(run: () => void): () => void {
  let scheduled = false;
  const tick = () => {
    scheduled = false;
    run();
  };
  return () => {
    if (scheduled) return;
    scheduled = true;
    if (typeof requestAnimationFrame === 'function') requestAnimationFrame(tick);
    else setTimeout(tick, 16);
  };
}
