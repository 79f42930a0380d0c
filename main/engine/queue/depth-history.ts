const depthBucketMs = 20;
const depthSamples = 4000;

/**
 * Appends a depth sample to a queue's history (two parallel arrays, oldest first). At most two
 * samples per 20 ms bucket (the first and the latest), so a quick put → get still shows; the
 * oldest quarter is dropped when the history is full.
 */
export function sampleDepth(times: number[], depths: number[], t: number, depth: number): void {
  const n = times.length;
  if (n > 1 && t - times[n - 2]! < depthBucketMs) {
    depths[n - 1] = depth;
    return;
  }
  if (n >= depthSamples) {
    times.splice(0, depthSamples / 4);
    depths.splice(0, depthSamples / 4);
  }
  times.push(t);
  depths.push(depth);
}
