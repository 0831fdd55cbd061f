// Starting what a TopologyPlan describes, all or nothing: the cameras' rings first (the servers), then the processes
// (forked, in parallel), main3's clients registered with their master, every reader attached, and frames last.
// If any step fails, what was started is stopped again in order and the error says which step failed: the service
// never runs half-way. A camera that cannot be reached is not a failure: LiveStream retries it (state reconnecting).
//
// Events leave through one callback, from both ways processes report: sendOut('event', …) on every process, and
// the data ring of every ClientProcess, which the service reads here as one more reader.

import { DataRingClient } from '../shm/index.js';
import { stopAll, type ClientProcess, type MasterProcess, type MessageProcess } from '../process/index.js';
import { LiveStream, type StreamError } from '../stream/index.js';
import { EVENT_NAME } from './events.js';
import { NatsBridge } from './nats/index.js';
import type { BridgeStats } from './service_view.js';
import { ServiceError } from './service_error.js';
import type { PlannedCamera, PlannedGroup, PlannedProcess, TopologyPlan } from './topology_plan.js';

export interface RunningCamera {
  plan: PlannedCamera;
  stream: LiveStream;
  /** The frame ring's name (FrameRingClient.open(ring)). */
  ring: string;
}

export interface RunningProcess {
  plan: PlannedProcess;
  group: PlannedGroup;
  process: MessageProcess;
  /** A master's clients, by process name → camera: a master names a frame by its client. */
  clientCameras: ReadonlyMap<string, string>;
}

export interface TopologyHooks {
  /** A payload a process reported (sendOut('event') or its data ring), with the process's name. */
  onReport(payload: unknown, process: RunningProcess): void;
  /** Something people should know (already redacted by the caller's redactor). */
  onLog(message: string): void;
}

export class Topology {
  readonly cameras: RunningCamera[] = [];
  readonly processes: RunningProcess[] = [];
  private readonly dataReaders: DataRingClient[] = [];
  /** Remote masters (nats:): null when the config has no nats section. */
  nats: NatsBridge | null = null;
  private stopping: Promise<void> | null = null;

  private constructor(
    private readonly plan: TopologyPlan,
    private readonly hooks: TopologyHooks,
  ) {}

  static async start(plan: TopologyPlan, hooks: TopologyHooks): Promise<Topology> {
    const t = new Topology(plan, hooks);
    let step = 'creating the camera rings';
    try {
      t.createCameras();
      step = 'creating the processes';
      t.createProcesses();
      step = 'starting the processes';
      await t.startProcesses();
      step = 'connecting the clients to their masters';
      await t.connectClientsAndMasters();
      step = 'starting the NATS bridge';
      await t.startNats();
      step = 'attaching the processes to the cameras';
      await t.attachCameras();
      step = 'starting the cameras';
      await Promise.all(t.cameras.map((c) => c.stream.start()));
    } catch (err) {
      await t.stop();
      const why = plan.redactor.redact(err instanceof Error ? err.message : String(err));
      throw new ServiceError(
        'START_FAILED',
        `the service did not start (${step}): ${why}; everything started was stopped again`,
      );
    }
    return t;
  }

  /** Readers before writers: our data ring readers, the clients' and processes' camera readers, masters, cameras. */
  stop(): Promise<void> {
    this.stopping ??= (async () => {
      // The bridge reads the clients' forward rings and writes their reply rings: it lets go of both first.
      await this.nats?.stop();
      for (const reader of this.dataReaders.splice(0)) reader.close();
      const alive = (p: MessageProcess) => p.state === 'running';
      const masters = this.processes.filter((p) => p.plan.role === 'master');
      const others = this.processes.filter((p) => p.plan.role !== 'master');
      // Clients stop reading their cameras and their master's replies before the master lets go of their rings.
      await Promise.allSettled(
        masters.flatMap((m) => {
          const master = m.process as MasterProcess;
          if (!alive(master)) return [];
          return master.registeredClients().map((name) => {
            const client = this.processes.find((p) => p.plan.name === name)?.process as ClientProcess | undefined;
            return client ? master.deregisterClientProcess(client) : Promise.resolve();
          });
        }),
      );
      await stopAll(others.map((p) => p.process).filter((p) => p.state !== 'new'));
      await stopAll(masters.map((p) => p.process).filter((p) => p.state !== 'new'));
      await Promise.allSettled(this.cameras.map((c) => c.stream.stop()));
    })();
    return this.stopping;
  }

  private createCameras(): void {
    for (const c of this.plan.cameras) {
      const stream = new LiveStream({
        source: c.source,
        width: c.width,
        height: c.height,
        fps: c.fps,
        slots: c.slots,
        // Unique per service run: two services (or a service and an example) never meet in /dev/shm.
        name: `svc${process.pid}-${c.name}`,
      });
      const camera: RunningCamera = { plan: c, stream, ring: stream.info().name };
      this.cameras.push(camera);
      // A camera that is down is retried by LiveStream; say so once per distinct message.
      let lastFault = '';
      stream.on('fault', (err: StreamError) => {
        if (this.stopping !== null || err.message === lastFault) return;
        lastFault = err.message;
        this.hooks.onLog(`camera ${c.name}: ${err.message} (retrying)`);
      });
      stream.on('state', (state: string) => {
        if (state === 'streaming') lastFault = '';
      });
    }
  }

  private createProcesses(): void {
    for (const group of this.plan.groups) {
      const clientCameras = new Map<string, string>();
      for (const plan of group.processes) {
        if (plan.role === 'client') clientCameras.set(plan.name, plan.cameras[0]!);
        this.addProcess(plan, group, new Map());
      }
      if (group.master) this.addProcess(group.master, group, clientCameras);
    }
  }

  private addProcess(plan: PlannedProcess, group: PlannedGroup, clientCameras: ReadonlyMap<string, string>): void {
    let process: MessageProcess;
    try {
      process = new plan.cls(plan.options);
    } catch (err) {
      throw new Error(`process ${plan.name} (${plan.classLabel}): ${err instanceof Error ? err.message : String(err)}`);
    }
    const running: RunningProcess = { plan, group, process, clientCameras };
    this.processes.push(running);
    process.on(EVENT_NAME, (payload: unknown) => this.hooks.onReport(payload, running));
    process.on(
      'exit',
      (info: { requested: boolean; code: number | null; signal: string | null; error?: { message: string } }) => {
        if (info.requested || this.stopping !== null) return;
        const how = info.signal ? `was killed by ${info.signal}` : `exited with code ${info.code}`;
        this.hooks.onLog(
          `process ${plan.name} ${how}${info.error ? `: ${info.error.message}` : ''}; the other processes go on`,
        );
      },
    );
    // Framework notices worth a log line (a handler that throws, a ring whose writer went away).
    process.on('frame-error', (e: { source: string; message: string; errors: number }) =>
      this.hooks.onLog(`process ${plan.name}: handleFrame failed on ${e.source} (${e.errors} so far): ${e.message}`),
    );
  }

  private async startProcesses(): Promise<void> {
    const results = await Promise.allSettled(this.processes.map((p) => p.process.start()));
    const failed = results.findIndex((r) => r.status === 'rejected');
    if (failed >= 0) {
      const reason = (results[failed] as PromiseRejectedResult).reason as Error;
      throw new Error(`process ${this.processes[failed]!.plan.name}: ${reason?.message ?? String(reason)}`);
    }
  }

  private async connectClientsAndMasters(): Promise<void> {
    for (const m of this.processes.filter((p) => p.plan.role === 'master')) {
      const master = m.process as MasterProcess;
      for (const name of m.clientCameras.keys()) {
        const client = this.find(name).process as ClientProcess;
        await master.registerClientProcess(client);
      }
    }
    // The clients' data rings: what they publish is reported too.
    for (const c of this.processes.filter((p) => p.plan.role === 'client')) {
      const client = c.process as ClientProcess;
      const reader = DataRingClient.open(await client.backend.dataRingInfo(), { policy: 'every' });
      this.dataReaders.push(reader);
      reader.onMessage((value) => this.hooks.onReport(value, c));
      reader.on('gone', () => {
        const i = this.dataReaders.indexOf(reader);
        if (i >= 0) this.dataReaders.splice(i, 1);
        reader.close();
      });
    }
  }

  /** Bridges past this host, for ServiceStats.bridges. */
  bridgeStats(): Record<string, BridgeStats> {
    return this.nats ? { nats: this.nats.stats() } : {};
  }

  /** Camera host: clients of `master: { remote }` groups forward through NATS. Detector host: serve_remote masters. */
  private async startNats(): Promise<void> {
    const n = this.plan.nats;
    if (!n) return;
    const remoteGroups = this.plan.groups.filter((g) => g.remote !== null);
    const servedGroups = this.plan.groups.filter((g) => g.serveRemote !== null && g.master);
    if (remoteGroups.length === 0 && servedGroups.length === 0) {
      this.hooks.onLog('nats: configured, but no master is remote and none serves remote clients: not connecting');
      return;
    }
    const bridge = new NatsBridge({
      ...n,
      log: (line) => this.hooks.onLog(line),
      redact: (text) => this.plan.redactor.redact(text),
      // A remote client's master events name it client@host: the service shows its camera as camera@host.
      onRemoteClient: (servedAs, key, camera) => {
        const group = servedGroups.find((g) => g.serveRemote === servedAs)!;
        const master = this.find(group.master!.name);
        (master.clientCameras as Map<string, string>).set(key, camera);
      },
    });
    this.nats = bridge;
    bridge.start();
    for (const g of servedGroups)
      bridge.serveMaster(this.find(g.master!.name).process as MasterProcess, g.serveRemote!);
    for (const g of remoteGroups) {
      for (const c of g.processes)
        await bridge.forwardClient(this.find(c.name).process as ClientProcess, g.remote!, c.cameras[0]!);
    }
  }

  private async attachCameras(): Promise<void> {
    const work: Array<Promise<unknown>> = [];
    for (const p of this.processes) {
      if (p.plan.role === 'master') continue;
      for (const name of p.plan.cameras) {
        const camera = this.cameras.find((c) => c.plan.name === name)!;
        work.push((p.process as ClientProcess).backend.activateRGB24Client(camera.stream.info(), { source: name }));
      }
    }
    await Promise.all(work);
  }

  /**
   * Attaches (on) or detaches (off) every reader of one camera: the rgb processes and clients that read it. Off,
   * nothing analyses its frames (a client forwards nothing, so its master sees none); the camera streams on.
   * Idempotent: each process's active rings are asked first. Returns the processes it could not change.
   */
  async setCameraRead(camera: string, on: boolean): Promise<string[]> {
    const cam = this.cameras.find((c) => c.plan.name === camera);
    if (!cam || this.stopping !== null) return [];
    const failed: string[] = [];
    await Promise.all(
      this.processes
        .filter((p) => p.plan.role !== 'master' && p.plan.cameras.includes(camera) && p.process.state === 'running')
        .map(async (p) => {
          const backend = (p.process as ClientProcess).backend;
          try {
            const active = (await backend.activeRGB24Clients()).includes(camera);
            if (on && !active) await backend.activateRGB24Client(cam.stream.info(), { source: camera });
            if (!on && active) await backend.deactivateRGB24Client(camera);
          } catch (err) {
            if (this.stopping === null)
              failed.push(`${p.plan.name} (${err instanceof Error ? err.message : String(err)})`);
          }
        }),
    );
    return failed;
  }

  private find(name: string): RunningProcess {
    return this.processes.find((p) => p.plan.name === name)!;
  }
}
