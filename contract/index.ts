import type { z } from 'zod';
import { appMethods } from './app';
import type { EventSpec, MethodSpec } from './define';
import { exampleMethods } from './examples';
import { queueEvents, queueMethods } from './queues';
import { poolEvents, poolMethods } from './pools';
import { pythonEvents, pythonMethods } from './python';
import { recordingMethods } from './recordings';
import { runEvents, runMethods } from './runs';
import { systemEvents, systemMethods } from './system';

/** Every method of the API. Each area adds its table here; nothing else lists methods. */
export const methods = {
  ...runMethods,
  ...exampleMethods,
  ...queueMethods,
  ...poolMethods,
  ...systemMethods,
  ...appMethods,
  ...pythonMethods,
  ...recordingMethods,
} as const satisfies Record<string, MethodSpec>;

/** Every event of the API. */
export const events = {
  ...runEvents,
  ...queueEvents,
  ...poolEvents,
  ...systemEvents,
  ...pythonEvents,
} as const satisfies Record<string, EventSpec>;

export type Methods = typeof methods;
export type MethodName = keyof Methods;
export type MethodInput<M extends MethodName> = z.input<Methods[M]['input']>;
export type MethodParsedInput<M extends MethodName> = z.output<Methods[M]['input']>;
export type MethodOutput<M extends MethodName> = z.output<Methods[M]['output']>;

export type Events = typeof events;
export type EventName = keyof Events;
export type EventPayload<E extends EventName> = z.output<Events[E]['payload']>;

export function isMethodName(name: string): name is MethodName {
  return Object.hasOwn(methods, name);
}

export * from './errors';
export * from './runs';
export * from './examples';
export * from './queues';
export * from './pools';
export * from './system';
export * from './app';
export * from './python';
export * from './recordings';
