/**
 * Issue 9, item 3: the RSS growth of a real serve-mode server while 20 clients ask for 30 answers
 * of about 1 MB each and never read them (600 MB unbounded). Read from /proc, from outside.
 */
import { connectClient, startServe } from '../tests/support/serve';
import { bigOutputRun, rssMb, stallClients } from '../tests/support/stalled-clients';
import type { Benchmark, BenchResult } from './harness';

const stalledTargetMb = 200;

async function stalledClients(): Promise<BenchResult> {
  const serve = await startServe();
  const { client, close } = await connectClient(serve);
  try {
    const runId = await bigOutputRun(client);
    // One answer read first, so the baseline holds what any served read costs.
    await client.call('runs.readOutput', { id: runId, fromSeq: 0, limit: 1000 });
    const baseline = rssMb(serve.process.pid!);
    const { peak, settled } = await stallClients(serve, runId);
    return {
      measurements: [
        { subject: 'serve mode RSS before 20 stalled clients', value: baseline, unit: 'MB' },
        { subject: 'RSS growth at its peak with 20 stalled clients', value: peak - baseline, unit: 'MB' },
        { subject: 'RSS growth after they were closed', value: settled - baseline, unit: 'MB' },
      ],
      ratios: [
        {
          name: 'reliability-stalled-clients-rss-mb',
          value: peak - baseline,
          op: '<=',
          target: stalledTargetMb,
        },
      ],
    };
  } finally {
    close();
    await serve.stop();
  }
}

const benchmark: Benchmark = {
  name: 'reliability-clients',
  description: 'serve mode’s memory with 20 clients that never read what they asked for',
  run: stalledClients,
};

export default benchmark;
