/**
 * The contract between the service core (config, topology, processes, events) and its HTTP side (and later MQTT,
 * NATS). The core builds one ServiceView; every outlet reads only this. Credentials never appear in anything
 * it returns.
 */
import type { EventEmitter } from 'node:events';

/** A box in the frame's own pixel coordinates. */
export interface Box {
  x: number;
  y: number;
  width: number;
  height: number;
}
export interface DetectedObject {
  label: string;
  score: number;
  box: Box;
}

/** The one event shape every analysis result becomes (schema documented in the README). */
export interface FrameringEvent {
  camera: string;
  frameNumber: number;
  /** Milliseconds since the epoch, from the frame's meta. */
  timestamp: number;
  kind: 'motion' | 'objects' | 'custom';
  objects: DetectedObject[];
  /** The process that produced it. */
  source: string;
  /** Free-form payload for kind 'custom' (and extra fields such as motion level). */
  data?: Record<string, unknown>;
}

export interface CameraView {
  name: string;
  width: number;
  height: number;
  fps: number;
  /** The frame ring a reader opens for this camera's frames (framering FrameRingClient name). */
  ring: string;
  /** The source URL, redacted. */
  source: string;
}

export interface CameraStats {
  state: string; // LiveStream state: connecting, streaming, stalled, reconnecting, stopped…
  camera_fps: number; // frames in from ffmpeg per second
  process_fps: number; // frames analysed per second (by the processes reading this camera)
  skipped_fps: number; // frames dropped per second
  detection_fps: number; // frames the master analysed per second for this camera (0 when none)
  frames: number;
  dropped: number;
  restarts: number;
  last_error: string | null; // redacted
  /**
   * False while analysis of this camera is switched off (setAnalysing, MQTT …/detect/set OFF): its readers are
   * detached.
   */
  detection_enabled: boolean;
}

export interface ProcessStats {
  pid: number | null;
  state: string;
  cpu_percent: number;
  rss_bytes: number;
  frames: number;
  replies: number;
}

/** One bridge past this host (the MQTT publisher, the NATS link to remote masters). */
export interface BridgeStats {
  state: 'connecting' | 'connected' | 'reconnecting' | 'failed' | 'stopped';
  /** The broker or server URL, redacted. */
  url: string;
  last_error: string | null; // redacted
  /** Messages waiting in the bridge's bounded queue, and those it had to drop (oldest first). */
  queued: number;
  dropped: number;
  sent: number;
  received: number;
  /** Anything bridge-specific (per remote master figures, …). */
  [detail: string]: unknown;
}

export interface ServiceStats {
  cameras: Record<string, CameraStats>;
  processes: Record<string, ProcessStats>;
  shm: { used_bytes: number; free_bytes: number; slots_held: number };
  service: { uptime_s: number; version: string; pid: number };
  /** Keyed by bridge name ('mqtt', 'nats'); empty when none is configured. */
  bridges: Record<string, BridgeStats>;
}

/** Emits 'event' (FrameringEvent) for every analysis result. */
export interface ServiceView extends EventEmitter {
  cameras(): CameraView[];
  stats(): ServiceStats;
  recentEvents(limit: number): FrameringEvent[];
  /** The resolved config with every secret replaced by '***'. */
  redactedConfig(): unknown;
  /** Whether a camera's frames are analysed (MQTT `…/detect/set`); false for an unknown camera. */
  isAnalysing(camera: string): boolean;
  /**
   * Turns analysis of one camera on or off; false for an unknown camera. Emits 'analysis' (camera, enabled) at once;
   * off detaches every process's reader of that camera (no frame is analysed, the camera keeps streaming), on
   * attaches them again, in the background (a failure is logged).
   */
  setAnalysing(camera: string, enabled: boolean): boolean;
  /**
   * A bridge (MQTT, NATS) puts its state into stats().bridges[name] through this; returns the function that takes
   * it out again. Optional: a view without it simply shows no bridge.
   */
  registerBridge?(name: string, stats: () => BridgeStats): () => void;
}
