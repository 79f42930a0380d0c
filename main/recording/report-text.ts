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

function processLine(report: Report, p: ReportProcess): string {
  const parent =
    p.logicalParent !== null && p.logicalParent !== p.ppid ? `, started by ${p.logicalParent}` : '';
  return (
    `  ${String(p.pid ?? '—').padStart(7)}  ppid ${String(p.ppid ?? '—').padEnd(7)} ${at(report, p.start)} → ` +
    `${at(report, p.end)}  ${ended(p)}${parent}  ${p.argv.join(' ').slice(0, 100)}`
  );
}

/** The processes the helpers were folded into: each one's nearest ancestor that is not folded. */
function foldedInto(shown: ReportProcess[], helpers: ReportProcess[]): number[] {
  const parentOf = new Map(helpers.map((p) => [p.pid, p.ppid]));
  const into = new Set<number>();
  for (const helper of helpers) {
    let pid = helper.ppid;
    for (let hops = 0; pid !== null && parentOf.has(pid) && hops <= helpers.length; hops++)
      pid = parentOf.get(pid) ?? null;
    if (pid !== null && shown.some((p) => p.pid === pid)) into.add(pid);
  }
  return [...into];
}

/** `forkscope report FILE`: what happened, for a person; `shims` lists the folded helpers too. */
export function reportText(report: Report, path: string, options: { shims?: boolean } = {}): string {
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

  const shown = report.processes.filter((p) => !p.folded);
  const helpers = report.processes.filter((p) => p.folded);
  out.push('', `Processes (${shown.length}):`);
  for (const p of shown) out.push(processLine(report, p));
  if (helpers.length > 0) {
    const into = foldedInto(shown, helpers);
    const where = into.length === 0 ? '' : ` into ${into.length === 1 ? 'pid' : 'pids'} ${into.join(', ')}`;
    // The short-lived processes a shim (pyenv, asdf, `sh -c`) ran before it exec'd the program.
    const noun = helpers.length === 1 ? 'helper' : 'helpers';
    if (!options.shims) out.push(`  (${helpers.length} shim ${noun} folded${where}; --shims lists them)`);
    else {
      out.push('', `Shim helpers (${helpers.length}, folded${where}):`);
      for (const p of helpers) out.push(processLine(report, p));
    }
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
