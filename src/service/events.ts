// Turning what processes report into the one event shape (FrameringEvent). Processes report two ways, and both land
// here: `this.sendOut('event', payload)` (the frontend receives it) and values published on a ClientProcess's data
// ring (the service reads them). A payload needs a camera and a frame number; everything else has a default, and
// fields the schema does not know go into `data`, so no analysis result is lost.

import type { Box, DetectedObject, FrameringEvent } from './service_view.js';

/** The sendOut event name the service listens to on every process. */
export const EVENT_NAME = 'event';

const KINDS: ReadonlySet<string> = new Set(['motion', 'objects', 'custom']);
const KNOWN_FIELDS = new Set(['camera', 'frameNumber', 'timestamp', 'kind', 'objects', 'source', 'data']);

export interface NormaliseContext {
  /** The process that produced it (overrides whatever the payload says: an event cannot speak for another process). */
  source: string;
  /** Names that stand for a camera: a master knows its clients by name, and each client reads one camera. */
  cameraAliases?: ReadonlyMap<string, string>;
}

/** The FrameringEvent a payload stands for, or null when it is not one (no camera or no frame number). */
export function toFrameringEvent(payload: unknown, ctx: NormaliseContext): FrameringEvent | null {
  if (typeof payload !== 'object' || payload === null || Array.isArray(payload)) return null;
  const p = payload as Record<string, unknown>;
  if (typeof p.camera !== 'string' || p.camera === '') return null;
  if (typeof p.frameNumber !== 'number' || !Number.isFinite(p.frameNumber)) return null;
  const camera = ctx.cameraAliases?.get(p.camera) ?? p.camera;
  const kind = typeof p.kind === 'string' && KINDS.has(p.kind) ? (p.kind as FrameringEvent['kind']) : 'custom';
  const timestamp =
    typeof p.timestamp === 'number' && Number.isFinite(p.timestamp) && p.timestamp > 0 ? p.timestamp : Date.now();
  const objects = Array.isArray(p.objects)
    ? p.objects.map(toObject).filter((o): o is DetectedObject => o !== null)
    : [];
  const event: FrameringEvent = { camera, frameNumber: p.frameNumber, timestamp, kind, objects, source: ctx.source };
  const data: Record<string, unknown> = isRecord(p.data) ? { ...p.data } : {};
  for (const [key, value] of Object.entries(p)) if (!KNOWN_FIELDS.has(key)) data[key] = value;
  if (Object.keys(data).length > 0) event.data = data;
  return event;
}

function toObject(value: unknown): DetectedObject | null {
  if (!isRecord(value)) return null;
  const box = toBox(value.box);
  if (!box) return null;
  const label = typeof value.label === 'string' && value.label !== '' ? value.label : 'object';
  const score = typeof value.score === 'number' && Number.isFinite(value.score) ? value.score : 1;
  return { label, score, box };
}

function toBox(value: unknown): Box | null {
  if (!isRecord(value)) return null;
  const { x, y, width, height } = value;
  if (![x, y, width, height].every((n) => typeof n === 'number' && Number.isFinite(n))) return null;
  return { x: x as number, y: y as number, width: width as number, height: height as number };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
