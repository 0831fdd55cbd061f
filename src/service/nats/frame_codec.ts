// What crosses NATS: a frame message (JPEG or raw RGB24 bytes, its geometry and origin in headers) and a reply
// message (the master's reply value, structured-clone serialised as a data ring carries it). The detector host
// checks everything it is sent: a message that does not hold a frame of the size it claims is rejected with a code.

import { deserialize, serialize } from 'node:v8';
import { headers as natsHeaders, type MsgHdrs } from '@nats-io/transport-node';
import sharp from 'sharp';
import { NatsBridgeError } from './bridge_error.js';

export const HEADER = {
  version: 'Framering-Version',
  host: 'Framering-Host',
  client: 'Framering-Client',
  camera: 'Framering-Camera',
  format: 'Framering-Format',
  width: 'Framering-Width',
  height: 'Framering-Height',
  frame: 'Framering-Frame',
  timestamp: 'Framering-Timestamp-Us',
  error: 'Framering-Error',
} as const;
export const WIRE_VERSION = '1';
// Lower than the rings' limit (MAX_DIMENSION in src/shm): a frame from the network is decoded by sharp, and this
// bounds what a sender can make the detector host allocate.
const MAX_WIRE_DIMENSION = 4096;
const NAME = /^[A-Za-z0-9_-]{1,64}$/;

export type FrameFormat = 'jpeg' | 'raw';

export interface FrameOrigin {
  host: string;
  client: string;
  camera: string;
  width: number;
  height: number;
  frameNumber: number;
  timestampUs: number;
}

export interface EncodedFrame {
  data: Uint8Array;
  format: FrameFormat;
}

/** RGB24 pixels (a copy the caller owns) → JPEG at `quality`, or the raw bytes themselves. */
export async function encodeFrame(
  pixels: Buffer,
  width: number,
  height: number,
  format: FrameFormat,
  quality: number,
): Promise<EncodedFrame> {
  if (format === 'raw') return { data: pixels, format };
  const data = await sharp(pixels, { raw: { width, height, channels: 3 } })
    .jpeg({ quality, mozjpeg: false })
    .toBuffer();
  return { data, format };
}

export function frameHeaders(origin: FrameOrigin, format: FrameFormat): MsgHdrs {
  const h = natsHeaders();
  h.set(HEADER.version, WIRE_VERSION);
  h.set(HEADER.host, origin.host);
  h.set(HEADER.client, origin.client);
  h.set(HEADER.camera, origin.camera);
  h.set(HEADER.format, format);
  h.set(HEADER.width, String(origin.width));
  h.set(HEADER.height, String(origin.height));
  h.set(HEADER.frame, String(origin.frameNumber));
  h.set(HEADER.timestamp, String(origin.timestampUs));
  return h;
}

/** A frame message's headers, checked; FRAME_HEADERS when any is missing or wrong. */
export function readFrameHeaders(h: MsgHdrs | undefined): FrameOrigin & { format: FrameFormat } {
  const bad = (what: string): never => {
    throw new NatsBridgeError(
      'FRAME_HEADERS',
      `frame message rejected: ${what} (framering ${WIRE_VERSION} headers expected)`,
    );
  };
  if (!h) return bad('no headers');
  const version = h.get(HEADER.version);
  if (version !== WIRE_VERSION) bad(`wire version '${version.slice(0, 8)}', not ${WIRE_VERSION}`);
  const host = h.get(HEADER.host);
  const client = h.get(HEADER.client);
  const camera = h.get(HEADER.camera);
  if (!NAME.test(host) || !NAME.test(client) || !NAME.test(camera))
    bad('host, client and camera must be 1–64 letters, digits, _ or -');
  const format = h.get(HEADER.format);
  if (format !== 'jpeg' && format !== 'raw') bad('format must be jpeg or raw');
  const int = (key: string, min: number, max: number): number => {
    const text = h.get(key);
    const n = /^\d{1,16}$/.test(text) ? Number(text) : NaN;
    if (!(n >= min && n <= max)) bad(`${key} must be a whole number ${min}–${max}`);
    return n;
  };
  return {
    host,
    client,
    camera,
    format: format as FrameFormat,
    width: int(HEADER.width, 1, MAX_WIRE_DIMENSION),
    height: int(HEADER.height, 1, MAX_WIRE_DIMENSION),
    frameNumber: int(HEADER.frame, 0, Number.MAX_SAFE_INTEGER),
    timestampUs: int(HEADER.timestamp, 0, Number.MAX_SAFE_INTEGER),
  };
}

/** The RGB24 pixels of a frame message, exactly width × height × 3 bytes; FRAME_SIZE or FRAME_CORRUPT otherwise. */
export async function decodeFrame(
  data: Uint8Array,
  format: FrameFormat,
  width: number,
  height: number,
): Promise<Buffer> {
  const expected = width * height * 3;
  if (format === 'raw') {
    if (data.byteLength !== expected) {
      throw new NatsBridgeError(
        'FRAME_SIZE',
        `raw frame of ${data.byteLength} bytes rejected: ${width}x${height} RGB24 is ${expected} bytes`,
      );
    }
    return Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  }
  let out: { data: Buffer; info: sharp.OutputInfo };
  try {
    out = await sharp(data, { limitInputPixels: MAX_WIRE_DIMENSION * MAX_WIRE_DIMENSION, failOn: 'error' })
      .removeAlpha()
      .toColourspace('srgb')
      .raw()
      .toBuffer({ resolveWithObject: true });
  } catch (err) {
    throw new NatsBridgeError(
      'FRAME_CORRUPT',
      `JPEG frame of ${data.byteLength} bytes rejected: it does not decode (${(err as Error).message.split('\n')[0]})`,
    );
  }
  const { info } = out;
  if (info.width !== width || info.height !== height || info.channels !== 3 || out.data.byteLength !== expected) {
    throw new NatsBridgeError(
      'FRAME_SIZE',
      `JPEG frame rejected: it holds ${info.width}x${info.height} (${info.channels} channels), ` +
        `its headers say ${width}x${height}`,
    );
  }
  return out.data;
}

export function encodeReply(value: unknown): Uint8Array {
  return serialize(value);
}

export function decodeReply(data: Uint8Array): unknown {
  return deserialize(data);
}
