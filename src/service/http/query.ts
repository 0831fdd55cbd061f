/** Query validation with zod: the first bad value becomes a 400 naming it. */
import { z } from 'zod';
import { badQuery, HttpError } from './errors.js';

/** `token` (auth) and `_` (cache busting) may ride on any URL. */
const ALWAYS = { token: z.string().optional(), _: z.string().optional() };

export function strictQuery<T extends z.ZodRawShape>(shape: T) {
  return z.object({ ...shape, ...ALWAYS }).strict();
}

export function intParam(min: number, max: number) {
  return z.coerce
    .number({ error: `must be a number from ${min} to ${max}` })
    .int({ error: `must be a whole number from ${min} to ${max}` })
    .min(min, { error: `must be at least ${min}` })
    .max(max, { error: `must be at most ${max}` });
}

export function numberParam(min: number, max: number) {
  return z.coerce
    .number({ error: `must be a number from ${min} to ${max}` })
    .min(min, { error: `must be at least ${min}` })
    .max(max, { error: `must be at most ${max}` });
}

export const flagParam = z
  .enum(['0', '1', 'true', 'false'], { error: 'must be 0, 1, true or false' })
  .transform((v) => v === '1' || v === 'true');

export function parseQuery<S extends z.ZodType>(schema: S, query: unknown): z.infer<S> {
  const r = schema.safeParse(query ?? {});
  if (r.success) return r.data;
  const issue = r.error.issues[0];
  if (issue?.code === 'unrecognized_keys') {
    const key = String(issue.keys[0]);
    throw new HttpError(400, 'BAD_QUERY', `unknown query parameter '${key.slice(0, 40)}'`, key.slice(0, 40));
  }
  throw badQuery(r.error);
}
