import type { Report, ReportProcess } from './report';

/** Seconds from the recording's start, as "+1.23 s". */
function at(report: Report, t: number | null): string {
  return t === null ? '—' : `+${((t - report.recording.createdAt) / 1000).toFixed(2)} s`;
}

function ended(process: ReportProcess): string {
  if (process.signal) return `killed by ${process.signal}`;
  if (process.exitCode !== null) return `exit ${process.exitCode}`;
  return process.end === null ? 'still running' : 'ended';
}

/** `forkscope report FILE`: what happened, for a person. */
export function reportText(report: Report, path: string): string {
  const out: string[] = [];
  const { recording } = report;
  const span =
    recording.endedAt === null
      ? ''
      : ` for ${((recording.endedAt - recording.createdAt) / 1000).toFixed(2)} s`;
  out.push(`${path}: ${recording.command ? recording.command.join(' ') : 'a Forkscope session'}`);
  out.push(
    `  recorded ${new Date(recording.createdAt).toISOString()}${span}` +
      (recording.exitStatus !== null ? `, exit status ${recording.exitStatus}` : ''),
  );
  if (!recording.complete) out.push('  (the file was cut short: its last events may be missing)');
  if (recording.truncated)
    out.push(`  (the size budget ran out: ${recording.droppedEvents} later events were not recorded)`);

  out.push('', `Processes (${report.processes.length}):`);
  for (const p of report.processes) {
    const parent =
      p.logicalParent !== null && p.logicalParent !== p.ppid ? `, started by ${p.logicalParent}` : '';
    out.push(
      `  ${String(p.pid ?? '—').padStart(7)}  ppid ${String(p.ppid ?? '—').padEnd(7)} ${at(report, p.start)} → ` +
        `${at(report, p.end)}  ${ended(p)}${parent}  ${p.argv.join(' ').slice(0, 100)}`,
    );
  }

  if (report.pools.length > 0) out.push('', `Pools (${report.pools.length}):`);
  for (const pool of report.pools) {
    const pids = new Set(pool.tasks.map((task) => task.workerPid).filter((pid) => pid !== null));
    out.push(
      `  ${pool.id} ${pool.label} (${pool.kind}, ${pool.size} workers): ${pool.tasks.length} tasks on ${pids.size} worker pids, ${pool.state}`,
    );
    for (const task of pool.tasks) {
      out.push(
        `    #${task.index} ${task.call.slice(0, 60)}  pid ${task.workerPid ?? '—'}  submitted ${at(report, task.submitted)}` +
          `  ran ${at(report, task.started)} → ${at(report, task.ended)}  ${task.state}${task.error ? `: ${task.error}` : ''}`,
      );
    }
  }

  if (report.queues.length > 0) out.push('', `Queues (${report.queues.length}):`);
  for (const queue of report.queues) {
    out.push(`  ${queue.id} ${queue.name} (${queue.kind}): ${queue.items.length} items`);
    for (const item of queue.items) {
      const got = item.got
        ? `got by ${item.got.label} at ${at(report, item.got.t)}`
        : `never got (${item.state})`;
      out.push(
        `    ${item.value.slice(0, 40)}  put by ${item.put.label} at ${at(report, item.put.t)}, ${got}`,
      );
    }
  }

  if (report.waits.length > 0) out.push('', `Waits (${report.waits.length}):`);
  for (const wait of report.waits) {
    out.push(
      `  ${wait.label} waited in ${wait.kind}${wait.on ? ` on ${wait.on}` : ''} from ${at(report, wait.since)}` +
        (wait.until === null ? ' to the end' : ` to ${at(report, wait.until)}`),
    );
  }
  return out.join('\n') + '\n';
}
