// Errors of the NATS bridge: a stable code and a message that says what to do. Messages never hold a credential
// (the caller's redactor runs over everything the bridge prints or reports).
import { FrameringError } from '../../errors/index.js';

export type NatsBridgeErrorCode =
  | 'NATS_UNREACHABLE' // no server of the list answered (down, wrong address, firewall)
  | 'NATS_AUTH' // the server refused the user/password or token
  | 'NATS_ERROR' // anything else the NATS client reported
  | 'NATS_PAYLOAD_TOO_LARGE' // a frame or reply above the server's max_payload
  | 'FRAME_HEADERS' // a frame message without framering's headers, or with bad ones
  | 'FRAME_SIZE' // a frame whose bytes do not match its width × height
  | 'FRAME_CORRUPT' // a JPEG that does not decode
  | 'DETECTOR_BUSY' // the master's input ring had no free slot
  | 'TOO_MANY_CLIENTS' // the master serves nats.max_clients remote clients already
  | 'MASTER_DOWN' // the master process is not running
  | 'ALREADY_FORWARDED' // a client given to the bridge twice
  | 'INVALID_ARGUMENT';

export class NatsBridgeError extends FrameringError<NatsBridgeErrorCode> {
  constructor(code: NatsBridgeErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
    this.name = 'NatsBridgeError';
  }
}

/** What the NATS client threw, as one of our codes. */
export function classifyNatsError(err: unknown): NatsBridgeErrorCode {
  const e = err as { name?: string; message?: string; code?: string; cause?: { code?: string } };
  const text = `${e?.name ?? ''} ${e?.message ?? ''} ${e?.code ?? ''} ${e?.cause?.code ?? ''}`;
  if (/authori[sz]ation|authentication|AuthorizationError/i.test(text)) return 'NATS_AUTH';
  if (
    /ECONNREFUSED|ECONNRESET|EHOSTUNREACH|ENETUNREACH|ETIMEDOUT|ENOTFOUND|EAI_AGAIN|timeout|refused|unreachable/i.test(
      text,
    )
  )
    return 'NATS_UNREACHABLE';
  return 'NATS_ERROR';
}
