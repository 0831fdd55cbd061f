/**
 * A reader process of the bench, forked by reader_process.ts with its role as argv[2] (JSON). It attaches to the
 * transport, checks every frame it gets, and answers { type: 'stop', window } with its counts. It ends on SIGTERM or
 * when the bench goes away (IPC disconnect), closing what it opened; Ctrl-C is the bench's to handle.
 */
import { FrameRecorder } from './frame_recorder.js';
import type { FromReader, ReaderRole, ToReader } from './reader_roles.js';
import { readFramering } from './transport_framering.js';
import { readProcessSend } from './transport_process_send.js';
import { readUnixSocket } from './transport_unix_socket.js';

/** What a transport's reader side gives back: how to stop it, and what it knows it missed. */
export interface ReaderHandle {
  close(): void;
  dropped(): number | null;
}

function send(m: FromReader): void {
  process.send?.(m);
}

let handle: ReaderHandle | null = null;

function finish(code: number): never {
  try {
    handle?.close();
  } finally {
    process.exit(code);
  }
}

async function main(): Promise<void> {
  process.on('SIGINT', () => {}); // the bench coordinates shutdown
  process.on('SIGTERM', () => finish(0));
  process.on('disconnect', () => finish(0));
  const role = JSON.parse(process.argv[2] ?? 'null') as ReaderRole;
  const recorder = new FrameRecorder();
  const ack = (): void => send({ type: 'ack' });
  switch (role?.transport) {
    case 'framering':
      handle = readFramering(role, recorder);
      break;
    case 'process.send':
      handle = readProcessSend(role, recorder, ack);
      break;
    case 'unix':
      handle = await readUnixSocket(role, recorder);
      break;
    default:
      throw new Error(`unknown reader role ${process.argv[2]}`);
  }
  process.on('message', (m: ToReader | Uint8Array) => {
    if (m instanceof Uint8Array || m?.type !== 'stop') return;
    send({ type: 'result', result: recorder.result(m.window, handle?.dropped() ?? null) });
  });
  send({ type: 'ready' });
}

main().catch((err: unknown) => {
  const message = err instanceof Error ? err.message : String(err);
  // Exit once the message is on its way: exiting at once could lose it.
  if (process.send) process.send({ type: 'error', message } satisfies FromReader, () => finish(1));
  else finish(1);
});
