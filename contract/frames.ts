import { z } from 'zod';
import { errorCodes } from './errors';

/** The largest frame either transport accepts; bigger ones are refused before parsing. */
export const maxFrameBytes = 4 * 1024 * 1024;

export const requestFrame = z.object({
  t: z.literal('req'),
  id: z.number().int().nonnegative(),
  method: z.string().max(100),
  params: z.unknown(),
});
export type RequestFrame = z.infer<typeof requestFrame>;

export const errorInfo = z.object({ code: z.enum(errorCodes), message: z.string() });

export const responseFrame = z.discriminatedUnion('ok', [
  z.object({ t: z.literal('res'), id: z.number(), ok: z.literal(true), result: z.unknown() }),
  z.object({ t: z.literal('res'), id: z.number().nullable(), ok: z.literal(false), error: errorInfo }),
]);
export type ResponseFrame = z.infer<typeof responseFrame>;

export const eventFrame = z.object({ t: z.literal('evt'), name: z.string(), payload: z.unknown() });
export type EventFrame = z.infer<typeof eventFrame>;

export type ServerFrame = ResponseFrame | EventFrame;
