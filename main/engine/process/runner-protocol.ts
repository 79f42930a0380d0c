/**
 * Messages between the engine and children it forks. Every Forkscope message carries the
 * `$forkscope` key, so a user's own `process.send` messages never collide with them.
 */
export type ToChild =
  | { $forkscope: 'run'; target: string; args: unknown[] }
  | { $forkscope: 'reply'; callId: number; ok: true; result: unknown }
  | { $forkscope: 'reply'; callId: number; ok: false; error: { code: string; message: string } };

export type FromChild =
  | { $forkscope: 'result'; value: unknown }
  | { $forkscope: 'thrown'; name: string; message: string; stack: string }
  | { $forkscope: 'call'; callId: number; method: ChildCallMethod; params: unknown };

/**
 * What a child may ask of the engine (to start, join and stop processes of its own), and the
 * contract method each name is answered by: the allow-list of the engine's child dispatcher.
 */
export const childCallMethods = {
  startProcess: 'runs.startProcess',
  fork: 'runs.fork',
  join: 'runs.join',
  terminate: 'runs.terminate',
} as const;
export type ChildCallMethod = keyof typeof childCallMethods;

export function isForkscopeMessage(message: unknown): message is { $forkscope: string } {
  return typeof message === 'object' && message !== null && '$forkscope' in message;
}
