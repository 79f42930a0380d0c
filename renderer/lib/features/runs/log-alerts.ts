import type { LogPolicy, RunRecord } from '../../../../contract';
import { m } from '../../i18n/messages';
import { alerts } from '../../shell/alerts.svelte';
import type { HostClient } from '../hosts/host-connection';

const streams = ['stdout', 'stderr'] as const;

/**
 * Raises an alert when a run's log becomes incomplete (a full disk, EIO, the budget) or its log
 * warning changes (writing fast, budget 80 % used); past the budget, the alert offers the three
 * choices, asked of the run's own host (`client`). Compares with the previous record, so each change is told once.
 */
export function alertLogChanges(
  previous: RunRecord | undefined,
  record: RunRecord,
  client: HostClient,
): void {
  const label = m.log_of({ label: record.label, id: record.id });
  for (const stream of streams) {
    const now = record.output[stream].logIncomplete;
    if (now && now !== previous?.output[stream].logIncomplete) {
      alerts.notify(label, `${stream}: ${now}`, { code: 'log-incomplete', key: `${record.id}.${stream}` });
    }
  }
  const warning = record.output.log.warning;
  if (!warning || warning.message === previous?.output.log.warning?.message) return;
  // A rate warning is refreshed every second; an ended run needs none.
  if (warning.kind === 'fast' && record.endedAt !== null) return;
  const choose = (policy: LogPolicy) => () =>
    void alerts.attempt(m.log_choosing(), () => client.call('runs.setLogPolicy', { id: record.id, policy }));
  alerts.notify(label, warning.message, {
    code: `log-${warning.kind}`,
    key: `${record.id}.warning`,
    choices:
      warning.kind === 'budget-exceeded' && record.endedAt === null
        ? [
            { label: m.log_keep(), choose: choose('keep-logging') },
            { label: m.log_stop_logging(), choose: choose('stop-logging') },
            { label: m.log_stop_run(), choose: choose('stop-run') },
          ]
        : undefined,
  });
}

/** Serve mode's address of a run's log, for the browser to download (null in the desktop app). */
export function logDownloadUrl(id: string, stream: 'stdout' | 'stderr'): string | null {
  if (location.protocol !== 'http:' && location.protocol !== 'https:') return null;
  const token = new URLSearchParams(location.hash.slice(1)).get('token');
  if (!token) return null;
  return `/logs/${encodeURIComponent(id)}/${stream}?token=${encodeURIComponent(token)}`;
}
