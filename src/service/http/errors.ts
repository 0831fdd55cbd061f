/**
 * Every error the HTTP side answers with: a status, a `code` a program can test, and a message a person can act on.
 * Bodies are `{ "code": "...", "message": "..." }` (plus `param` for a bad query value). They never echo the URL
 * (it may carry ?token=) nor any camera source.
 */
import type { FastifyReply } from 'fastify';
import type { ZodError } from 'zod';
import { FrameringError, type FrameringErrorCode } from '../../errors/index.js';

/** The codes the HTTP side answers with itself; a snapshot's error may also carry a ring's code (RING_NOT_FOUND…). */
export type HttpErrorCode =
  | 'BAD_REQUEST'
  | 'BAD_QUERY'
  | 'UNAUTHORIZED'
  | 'NOT_FOUND'
  | 'UNKNOWN_CAMERA'
  | 'TOO_MANY_CLIENTS'
  | 'BUSY'
  | 'NO_FRAME'
  | 'ENCODER_RESTARTING'
  | 'ENCODE_FAILED'
  | 'STOPPED'
  | 'INVALID_ARGUMENT'
  | 'INTERNAL';

export class HttpError extends FrameringError<FrameringErrorCode> {
  constructor(
    readonly status: number,
    code: FrameringErrorCode,
    message: string,
    readonly param?: string,
  ) {
    super(code, message);
    this.name = 'HttpError';
  }

  body(): { code: FrameringErrorCode; message: string; param?: string } {
    return this.param
      ? { code: this.code, message: this.message, param: this.param }
      : { code: this.code, message: this.message };
  }
}

export function sendError(reply: FastifyReply, err: HttpError): FastifyReply {
  return reply
    .code(err.status)
    .header('cache-control', 'no-store')
    .type('application/json; charset=utf-8')
    .send(err.body());
}

/** A 400 naming the first bad query parameter. */
export function badQuery(err: ZodError): HttpError {
  const issue = err.issues[0];
  const param = issue?.path.map(String).join('.') || 'query';
  return new HttpError(400, 'BAD_QUERY', `query parameter '${param}': ${issue?.message ?? 'invalid'}`, param);
}

export function unknownCamera(): HttpError {
  return new HttpError(404, 'UNKNOWN_CAMERA', 'no camera of that name; GET /api/cameras lists them');
}
