import type { z } from 'zod';

export interface MethodSpec<Input extends z.ZodType = z.ZodType, Output extends z.ZodType = z.ZodType> {
  readonly input: Input;
  readonly output: Output;
  readonly summary: string;
}

export function method<Input extends z.ZodType, Output extends z.ZodType>(
  summary: string,
  input: Input,
  output: Output,
): MethodSpec<Input, Output> {
  return { input, output, summary };
}

export interface EventSpec<Payload extends z.ZodType = z.ZodType> {
  readonly payload: Payload;
  readonly summary: string;
}

export function event<Payload extends z.ZodType>(summary: string, payload: Payload): EventSpec<Payload> {
  return { payload, summary };
}
