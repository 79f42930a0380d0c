import { z } from 'zod';
import { appMethods } from './app';
import { method, type EventSpec, type MethodSpec } from './define';
import { exampleMethods } from './examples';
import { hostEvents, hostMethods } from './hosts';
import { queueEvents, queueMethods } from './queues';
import { poolEvents, poolMethods } from './pools';
import { pythonEvents, pythonMethods } from './python';
import { recordingMethods } from './recordings';
import { runEvents, runMethods } from './runs';
import { systemEvents, systemMethods } from './system';

/** Every event of the API. */
export const events = {
  ...runEvents,
  ...queueEvents,
  ...poolEvents,
  ...systemEvents,
  ...pythonEvents,
  ...hostEvents,
} as const satisfies Record<string, EventSpec>;

const eventName = z.enum(Object.keys(events) as [keyof typeof events, ...(keyof typeof events)[]]);
const eventNames = z.object({ names: z.array(eventName).max(100) });

/**
 * A connection is sent only the events it subscribed to; the client subscribes to an event while
 * it has listeners for it (contract/client.ts), so a store that listens only while its view is
 * open makes the host send that stream only then.
 */
const subscriptionMethods = {
  'events.subscribe': method('Send these events to this connection from now on.', eventNames, z.null()),
  'events.unsubscribe': method('Stop sending these events to this connection.', eventNames, z.null()),
} as const;

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
  ...hostMethods,
  ...subscriptionMethods,
} as const satisfies Record<string, MethodSpec>;

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
export * from './hosts';
