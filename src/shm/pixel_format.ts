/** The pixel formats a frame ring can carry. The ring moves bytes; the format says how to read them. */
import { RingError } from './ring_error.js';

/** rgb24 and bgr24: 3 bytes per pixel in that channel order (bgr24 is what OpenCV-style models take); gray8: 1. */
export const PIXEL_FORMATS = ['rgb24', 'bgr24', 'gray8'] as const;
export type PixelFormat = (typeof PIXEL_FORMATS)[number];

/** What a ring's payloads are: frames in a pixel format, or data messages. */
export type PayloadFormat = PixelFormat | 'data';

export const BYTES_PER_PIXEL: Readonly<Record<PixelFormat, number>> = { rgb24: 3, bgr24: 3, gray8: 1 };

/** Payload format by the native tag in SlotMeta.format (RingFormat in native/ring_layout.h). */
const FORMAT_BY_TAG: readonly (PayloadFormat | undefined)[] = [undefined, 'rgb24', 'data', 'bgr24', 'gray8'];

export function formatOfTag(tag: number): PayloadFormat | 'unknown' {
  return FORMAT_BY_TAG[tag] ?? 'unknown';
}

export function isPixelFormat(value: unknown): value is PixelFormat {
  return (PIXEL_FORMATS as readonly unknown[]).includes(value);
}

/** Checks a user-given pixel format; undefined → rgb24. */
export function pixelFormat(value: unknown): PixelFormat {
  if (value === undefined) return 'rgb24';
  if (!isPixelFormat(value))
    throw new RingError(
      'INVALID_ARGUMENT',
      `pixelFormat must be one of ${PIXEL_FORMATS.join(', ')}, got ${String(value)}`,
    );
  return value;
}
