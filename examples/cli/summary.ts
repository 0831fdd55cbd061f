// The summary printed on exit: a table per camera and per process, and with --json one JSON object on the last
// line: { cameras: [{ name, frames, fps, dropped, restarts, … }], processes: [{ name, frames, replies, … }] }.

import type { LiveStreamStats } from '../../src/stream/index.js';
import type { ProcessReport } from '../process_report.js';
import type { Camera } from './cameras.js';

export interface CameraSummary {
  name: string;
  /** Frames delivered into the camera's ring. */
  frames: number;
  /** Average delivered frames per second over the run. */
  fps: number;
  /** Frames ffmpeg produced that found no free ring slot. */
  dropped: number;
  restarts: number;
  state: string;
  /** Redacted. */
  source: string;
  lastError?: string;
}

export type ProcessSummary = ProcessReport & { exited?: string };

export interface Summary {
  program: string;
  seconds: number;
  snapshotDir: string;
  cameras: CameraSummary[];
  processes: ProcessSummary[];
}

export function summariseCamera(camera: Camera, stats: LiveStreamStats, endMs: number): CameraSummary {
  const seconds = Math.max(0.001, (endMs - camera.startedAtMs) / 1000);
  const s: CameraSummary = {
    name: camera.name,
    frames: stats.framesDelivered,
    fps: Math.round((stats.framesDelivered / seconds) * 10) / 10,
    dropped: stats.droppedFrames,
    restarts: stats.restarts,
    state: stats.state,
    source: stats.source,
  };
  if (stats.lastError) s.lastError = stats.lastError.message;
  return s;
}

export function formatTable(summary: Summary): string {
  const cameraRows = summary.cameras.map((c) => [
    c.name,
    String(c.frames),
    c.fps.toFixed(1),
    String(c.dropped),
    String(c.restarts),
    c.source,
  ]);
  const processRows = summary.processes.map((p) => [
    p.name,
    String(p.frames),
    String(p.replies),
    String(p.motionFrames),
    String(p.boxes),
    String(p.snapshots),
    Object.entries(p.sources)
      .map(([k, v]) => `${k}:${v}`)
      .join(' ') + (p.exited ? ` (${p.exited})` : ''),
  ]);
  const lines = [
    `${summary.program}: ran ${summary.seconds.toFixed(1)} s; snapshots in ${summary.snapshotDir}`,
    '',
    ...table(['camera', 'frames', 'fps', 'dropped', 'restarts', 'source'], cameraRows),
    '',
    ...table(['process', 'frames', 'replies', 'motion', 'boxes', 'snapshots', 'frames per source'], processRows),
  ];
  const errors = summary.cameras.filter((c) => c.lastError && c.frames === 0);
  for (const c of errors) lines.push(`${c.name}: no frames; last error: ${c.lastError}`);
  return lines.join('\n');
}

/** The --json line: the fields the issue names first, then the details. */
export function formatJson(summary: Summary): string {
  return JSON.stringify({
    cameras: summary.cameras.map((c) => ({
      name: c.name,
      frames: c.frames,
      fps: c.fps,
      dropped: c.dropped,
      restarts: c.restarts,
      state: c.state,
      source: c.source,
      ...(c.lastError ? { lastError: c.lastError } : {}),
    })),
    processes: summary.processes.map((p) => ({ ...p, name: p.name, frames: p.frames, replies: p.replies })),
    seconds: Math.round(summary.seconds * 10) / 10,
    snapshotDir: summary.snapshotDir,
  });
}

function table(header: string[], rows: string[][]): string[] {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  // Numbers right-aligned, the last column (free text) left-aligned and unpadded.
  const fmt = (cells: string[]) =>
    cells
      .map((cell, i) => (i === cells.length - 1 ? cell : i === 0 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!)))
      .join('  ');
  return [fmt(header), fmt(widths.map((w) => '-'.repeat(w))), ...rows.map(fmt)];
}
