import type { DepthSample, QueueInfo, QueueMark, RunRecord } from '../../../../contract';
import { formatSeconds } from '../../components/format';

/** The width of the lanes' and the depth chart's drawings (SVG units); both map time alike. */
export const chartWidth = 1000;
/** Room at each end so a mark at the very start or end is drawn whole. */
const inset = 5;

/** One time span for every chart of a queue: the lanes and the depth chart share it. */
export interface TimeScale {
  start: number;
  end: number;
}

export function queueTimeScale(
  queue: QueueInfo,
  marks: readonly QueueMark[],
  samples: readonly DepthSample[],
  endedAt: readonly (number | null | undefined)[],
): TimeScale {
  const start = Math.min(queue.createdAt, marks[0]?.t ?? Infinity, samples[0]?.t ?? Infinity);
  const end = Math.max(
    start + 1000,
    marks.at(-1)?.t ?? start,
    samples.at(-1)?.t ?? start,
    ...endedAt.map((t) => t ?? 0),
  );
  return { start, end };
}

/** Where time `t` is drawn, in SVG units of a `chartWidth`-wide drawing. */
export function timeX(scale: TimeScale, t: number): number {
  return inset + ((t - scale.start) / (scale.end - scale.start)) * (chartWidth - 2 * inset);
}

/** The actors' end times a queue's scale must reach (its lanes end there). */
export function actorEnds(runs: Record<string, RunRecord>, actors: readonly { actor: string }[]) {
  return actors.map((actor) => runs[actor.actor]?.endedAt);
}

export interface Tick {
  /** Where it is drawn, as a fraction of the drawing's width. */
  at: number;
  label: string;
}

/**
 * Round ticks for the axis under the lanes and the depth chart: time since the scale's start in
 * steps of 1, 2 or 5 × a power of ten milliseconds, at most `most` of them.
 */
export function timeTicks(scale: TimeScale, most = 6): Tick[] {
  const span = scale.end - scale.start;
  let step = 1;
  for (let power = 1; ; power *= 10) {
    const fit = [1, 2, 5].map((factor) => factor * power).find((candidate) => span / candidate <= most - 1);
    if (fit !== undefined) {
      step = fit;
      break;
    }
  }
  const digits = step >= 1000 ? 0 : step >= 100 ? 1 : step >= 10 ? 2 : 3;
  const ticks: Tick[] = [];
  for (let offset = 0; offset <= span; offset += step) {
    ticks.push({
      at: timeX(scale, scale.start + offset) / chartWidth,
      label: formatSeconds(offset / 1000, digits),
    });
  }
  return ticks;
}
