// Service: the running `framering serve`, and the one ServiceView its outlets (HTTP, later MQTT and NATS) read.
// It starts the topology, turns every report of every process into a FrameringEvent ('event'), keeps the recent
// ones, and answers stats() at once from the collector's last poll. Everything it returns is redacted.

import { EventEmitter } from 'node:events';
import type { ParsedConfig } from './config/parse_config.js';
import { EventBuffer } from './event_buffer.js';
import { toFrameringEvent } from './events.js';
import { packageVersion } from './package_version.js';
import type { BridgeStats, CameraView, FrameringEvent, ServiceStats, ServiceView } from './service_view.js';
import { StatsCollector } from './stats/stats_collector.js';
import { Topology, type RunningProcess } from './topology.js';
import { planTopology, type TopologyPlan } from './topology_plan.js';

export interface ServiceOptions {
  /** Where log lines go (already redacted). Default: stderr, prefixed "framering: ". */
  log?: (line: string) => void;
}

export class Service extends EventEmitter implements ServiceView {
  private readonly buffer: EventBuffer;
  private readonly collector: StatsCollector;
  /** Reports that were not events (no camera or frame number), per process: counted, logged once. */
  private readonly ignored = new Map<string, number>();
  private stopping: Promise<void> | null = null;
  /** Cameras whose analysis is switched off: their readers are detached, and events still in flight dropped. */
  private readonly notAnalysed = new Set<string>();
  /** Per camera, the attach/detach work in order: a quick OFF, ON, OFF ends in the state asked last. */
  private readonly analysisWork = new Map<string, Promise<void>>();
  private readonly bridges = new Map<string, () => BridgeStats>();

  private constructor(
    readonly plan: TopologyPlan,
    private readonly topology: Topology,
    private readonly log: (line: string) => void,
  ) {
    super();
    this.buffer = new EventBuffer(plan.config.events.recent);
    this.collector = new StatsCollector(topology, plan.redactor, packageVersion());
  }

  /** Starts everything in the plan, or nothing (ServiceError START_FAILED). */
  static async start(plan: TopologyPlan, options: ServiceOptions = {}): Promise<Service> {
    const log = (line: string) =>
      (options.log ?? ((l: string) => process.stderr.write(`framering: ${l}\n`)))(plan.redactor.redact(line));
    let service: Service | null = null;
    const pending: Array<[unknown, RunningProcess]> = [];
    // Events may come while the topology is still starting: held until the service object exists.
    const topology = await Topology.start(plan, {
      onReport: (payload, p) => (service ? service.report(payload, p) : pending.push([payload, p])),
      onLog: (line) => log(line),
    });
    service = new Service(plan, topology, log);
    for (const [payload, p] of pending) service.report(payload, p);
    service.collector.start();
    return service;
  }

  cameras(): CameraView[] {
    return this.topology.cameras.map((c) => ({
      name: c.plan.name,
      width: c.plan.width,
      height: c.plan.height,
      fps: c.plan.fps,
      ring: c.ring,
      source: c.plan.label,
    }));
  }

  stats(): ServiceStats {
    const stats = this.collector.stats();
    for (const [name, c] of Object.entries(stats.cameras)) c.detection_enabled = !this.notAnalysed.has(name);
    for (const [name, bridge] of this.bridges) {
      try {
        stats.bridges[name] = bridge();
      } catch {
        // A bridge that cannot say how it is shows nothing rather than breaking stats.
      }
    }
    return stats;
  }

  registerBridge(name: string, stats: () => BridgeStats): () => void {
    this.bridges.set(name, stats);
    return () => {
      if (this.bridges.get(name) === stats) this.bridges.delete(name);
    };
  }

  recentEvents(limit: number): FrameringEvent[] {
    return this.buffer.recent(limit);
  }

  redactedConfig(): unknown {
    return this.plan.redactor.redactValue(this.plan.config);
  }

  isAnalysing(camera: string): boolean {
    return this.hasCamera(camera) && !this.notAnalysed.has(camera);
  }

  setAnalysing(camera: string, enabled: boolean): boolean {
    if (!this.hasCamera(camera)) return false;
    const changed = enabled
      ? this.notAnalysed.delete(camera)
      : !this.notAnalysed.has(camera) && !!this.notAnalysed.add(camera);
    if (!changed) return true;
    this.emit('analysis', camera, enabled);
    this.log(`analysis of camera ${camera} ${enabled ? 'on' : 'off'}`);
    const previous = this.analysisWork.get(camera) ?? Promise.resolve();
    const work = previous.then(async () => {
      if (this.stopping !== null) return;
      // The state asked last wins, whatever was asked in between.
      const failed = await this.topology.setCameraRead(camera, !this.notAnalysed.has(camera));
      if (failed.length > 0)
        this.log(
          `analysis of camera ${camera} could not be switched ${enabled ? 'on' : 'off'} in ${failed.join(', ')}`,
        );
    });
    this.analysisWork.set(camera, work);
    void work.finally(() => {
      if (this.analysisWork.get(camera) === work) this.analysisWork.delete(camera);
    });
    return true;
  }

  private hasCamera(camera: string): boolean {
    return this.topology.cameras.some((c) => c.plan.name === camera);
  }

  /** Stops the processes (readers) before the cameras (writers); nothing stays in /dev/shm. Idempotent. */
  stop(): Promise<void> {
    this.stopping ??= (async () => {
      await Promise.allSettled([...this.analysisWork.values()]);
      await this.collector.stop();
      await this.topology.stop();
    })();
    return this.stopping;
  }

  private report(payload: unknown, p: RunningProcess): void {
    if (this.stopping !== null) return;
    const event = toFrameringEvent(payload, { source: p.plan.name, cameraAliases: p.clientCameras });
    if (event && this.notAnalysed.has(event.camera)) return;
    if (!event) {
      const n = (this.ignored.get(p.plan.name) ?? 0) + 1;
      this.ignored.set(p.plan.name, n);
      if (n === 1)
        this.log(
          `process ${p.plan.name} reported something that is not an event (it needs camera and frameNumber); ignored`,
        );
      return;
    }
    // Processes are the user's code: whatever they put in data goes through the redactor like everything else.
    if (event.data) event.data = this.plan.redactor.redactValue(event.data) as Record<string, unknown>;
    this.buffer.push(event);
    this.emit('event', event);
  }
}

/** Plans (loading every process class) and starts a service from a parsed config. */
export async function startService(parsed: ParsedConfig, options: ServiceOptions = {}): Promise<Service> {
  return Service.start(await planTopology(parsed), options);
}
