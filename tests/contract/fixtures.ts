import type { ForkscopeClient } from '../../contract/client';

/**
 * The same calls, sent over every transport: results must be the same (JSON-safe data only),
 * whatever carries them.
 */
export async function exerciseContract(client: ForkscopeClient) {
  const launched = await client.call('runs.launch', {
    program: 'sh',
    args: ['-c', 'echo out; echo err >&2; exit 4'],
  });
  const joined = await client.call('runs.join', { id: launched.id, timeoutMs: 10_000 });
  const output = await client.call('runs.readOutput', { id: launched.id });
  const failures: Record<string, unknown> = {};
  for (const [name, attempt] of [
    ['invalid', () => client.call('runs.launch', { program: '' })],
    ['wrongType', () => client.call('runs.get', { id: 42 } as never)],
    ['unknownRun', () => client.call('runs.get', { id: 'r999999' })],
    ['unknownMethod', () => client.call('no.such' as never, {} as never)],
    ['badCwd', () => client.call('runs.launch', { program: 'ls', cwd: '/no/such/place' })],
  ] as const) {
    failures[name] = await attempt().then(
      () => 'resolved',
      (error: { code: string; message: string }) => ({ code: error.code, message: error.message }),
    );
  }
  const process = await client.call('runs.startProcess', {
    target: 'tests/fixtures/targets.js#add',
    args: [20, 22],
  });
  const processEnded = await client.call('runs.join', { id: process.id, timeoutMs: 10_000 });
  const examples = await client.call('examples.list', {});
  return { launched, joined, output, failures, processEnded, examples };
}

/** What must be equal across transports: everything but pids, ids, times and paths. */
export function comparable(result: Awaited<ReturnType<typeof exerciseContract>>) {
  return {
    exit: result.joined.exit,
    state: result.joined.state,
    lines: result.output.lines.map((line) => [line.stream, line.text]),
    failures: result.failures,
    value: result.processEnded.result,
    examples: result.examples.map((example) => example.id),
  };
}
