// What the service will run, resolved from a checked config before anything starts: the cameras (LiveStream
// options) and every process (its class loaded, its name, options and the cameras it reads), in main1's, main2's
// or main3's shape. `framering serve --check` prints this; the topology starts exactly this.

import { hostname } from 'node:os';
import { isAbsolute, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describeSource, parseSource, type SourceSpec } from '../stream/index.js';
import { ConfigError, formatPath } from './config/config_error.js';
import type { ParsedConfig } from './config/parse_config.js';
import type { CameraConfig, ClassRef, NatsConfig, ProcessGroupConfig, ServiceConfig } from './config/schema.js';
import {
  loadProcessClass,
  requireRole,
  type ClassSite,
  type LoadedClass,
  type ProcessClass,
} from './process_class_loader.js';
import type { ProcessRole } from './processes/builtin_classes.js';
import { ServiceRedactor } from './service_redactor.js';

export interface PlannedCamera {
  name: string;
  source: SourceSpec;
  /** Redacted, for people. */
  label: string;
  width: number;
  height: number;
  fps: number;
  slots: number;
}

export interface PlannedProcess {
  name: string;
  role: ProcessRole;
  cls: ProcessClass;
  classLabel: string;
  /** Constructor options (plain data), name and module location included. */
  options: Record<string, unknown>;
  /** rgb: the cameras it reads; client: its one camera; master: none (it reads its clients). */
  cameras: string[];
}

export interface PlannedGroup {
  name: string;
  shape: ProcessGroupConfig['shape'];
  /** rgb processes, or the clients of a client-master group. */
  processes: PlannedProcess[];
  master: PlannedProcess | null;
  /** client-master on a camera host: the remote master (on detector hosts, through NATS) its clients forward to. */
  remote: string | null;
  /** client-master on a detector host: the name under which its master also serves remote clients. */
  serveRemote: string | null;
}

export interface TopologyPlan {
  cameras: PlannedCamera[];
  groups: PlannedGroup[];
  config: ServiceConfig;
  redactor: ServiceRedactor;
  /** Reserved sections present in the config but not used yet (none now). */
  notYetUsed: string[];
  /** The nats: section resolved, when there is one. */
  nats: NatsPlan | null;
}

export async function planTopology(parsed: ParsedConfig): Promise<TopologyPlan> {
  const { config, lines, file, baseDir } = parsed;
  const redactor = new ServiceRedactor(config, parsed.envSecrets);
  const cameras = Object.entries(config.cameras).map(([name, c]) =>
    planCamera(name, c, baseDir, redactor, { lines, file }),
  );
  const groups: PlannedGroup[] = [];
  for (const [i, group] of config.processes.entries()) {
    const site = (sub: Array<string | number>): ClassSite => ({
      path: formatPath(['processes', i, ...sub]),
      lineOf: (more) => lines.lineOf(['processes', i, ...sub, ...more]),
      file,
    });
    const cameraNames = group.cameras ?? cameras.map((c) => c.name);
    const load = async (
      ref: ClassRef,
      sub: Array<string | number>,
      role: ProcessRole,
      where: string,
    ): Promise<LoadedClass> => {
      const loaded = await loadProcessClass(ref, baseDir, site(sub));
      requireRole(loaded, role, where, site(sub));
      return loaded;
    };
    if (group.shape === 'shared' || group.shape === 'per-camera') {
      const loaded = await load(group.class, ['class'], 'rgb', `a ${group.shape} group`);
      const processes =
        group.shape === 'shared'
          ? [planProcess(group.name, loaded, group.options, cameraNames)]
          : cameraNames.map((camera) => planProcess(`${group.name}-${camera}`, loaded, group.options, [camera]));
      groups.push({ name: group.name, shape: group.shape, processes, master: null, remote: null, serveRemote: null });
    } else {
      const clientRef = group.client;
      const clientClass = clientRef
        ? await load(clientRef.class, ['client', 'class'], 'client', 'the client of a client-master group')
        : null;
      const clients = cameraNames.map((camera) => {
        const c = config.cameras[camera]!;
        const forward = group.forward?.by_reference
          ? { byReference: true }
          : {
              width: group.forward?.width ?? c.width,
              height: group.forward?.height ?? c.height,
              slots: group.forward?.slots ?? 4,
            };
        return planProcess(`${group.name}-${camera}`, clientClass!, { ...clientRef!.options, forward }, [camera]);
      });
      const m = group.master;
      if (m.where === 'remote') {
        groups.push({
          name: group.name,
          shape: group.shape,
          processes: clients,
          master: null,
          remote: m.remote,
          serveRemote: null,
        });
        continue;
      }
      const masterClass = await load(m.class, ['master', 'class'], 'master', 'the master of a client-master group');
      const serveRemote = m.serve_remote === undefined ? null : m.serve_remote === true ? group.name : m.serve_remote;
      // A master that serves remote clients takes up to nats.max_clients of them beside its local ones.
      const maxClients = Math.max(1, clients.length + (serveRemote !== null ? (config.nats?.max_clients ?? 0) : 0));
      const master = planProcess(`${group.name}-master`, masterClass, { ...m.options, maxClients }, []);
      groups.push({ name: group.name, shape: group.shape, processes: clients, master, remote: null, serveRemote });
    }
  }
  const notYetUsed: string[] = [];
  const nats = config.nats ? planNats(config.nats) : null;
  return { cameras, groups, config, redactor, notYetUsed, nats };
}

/** The nats: section with its defaults resolved (host name, servers as a list). Holds credentials: never print it. */
export interface NatsPlan {
  servers: string[];
  user?: string;
  password?: string;
  token?: string;
  prefix: string;
  host: string;
  encoding: 'jpeg' | 'raw';
  jpegQuality: number;
  inflight: number;
  timeoutMs: number;
  maxClients: number;
}

function planNats(n: NatsConfig): NatsPlan {
  const host =
    n.host ??
    (hostname()
      .replace(/[^A-Za-z0-9_-]/g, '_')
      .slice(0, 64) ||
      'host');
  return {
    servers: typeof n.servers === 'string' ? [n.servers] : n.servers,
    ...(n.user !== undefined ? { user: n.user } : {}),
    ...(n.password !== undefined ? { password: n.password } : {}),
    ...(n.token !== undefined ? { token: n.token } : {}),
    prefix: n.prefix,
    host,
    encoding: n.encoding,
    jpegQuality: n.jpeg_quality,
    inflight: n.inflight,
    timeoutMs: n.timeout_ms,
    maxClients: n.max_clients,
  };
}

function planProcess(
  name: string,
  loaded: LoadedClass,
  options: Record<string, unknown>,
  cameras: string[],
): PlannedProcess {
  const full: Record<string, unknown> = { ...options, name };
  if (loaded.moduleUrl) {
    full.moduleUrl = loaded.moduleUrl;
    full.exportName = loaded.exportName;
  }
  return { name, role: loaded.role, cls: loaded.cls, classLabel: loaded.label, options: full, cameras };
}

function planCamera(
  name: string,
  c: CameraConfig,
  baseDir: string,
  redactor: ServiceRedactor,
  where: { lines: ParsedConfig['lines']; file: string | null },
): PlannedCamera {
  let source: SourceSpec = c.source.trim();
  const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(source)?.[1]?.toLowerCase();
  if (!scheme && !isAbsolute(source)) source = resolve(baseDir, source); // a video file next to the config
  const isFile = !scheme || scheme === 'file';
  if (c.loop !== undefined && !isFile) {
    const path = ['cameras', name, 'loop'];
    throw new ConfigError('CONFIG_INVALID', 'loop is for video-file cameras only; remove it', {
      path: formatPath(path),
      line: where.lines.lineOf(path),
      file: where.file,
    });
  }

  if ((scheme === 'rtsp' || scheme === 'rtsps') && (c.transport !== 'tcp' || c.username || c.password)) {
    source = {
      kind: 'rtsp',
      url: source,
      transport: c.transport,
      ...(c.username ? { username: c.username } : {}),
      ...(c.password ? { password: c.password } : {}),
    };
  }
  try {
    // A file is a camera that goes on: looped unless the config says otherwise.
    if (isFile && typeof source === 'string')
      source = { kind: 'file', path: scheme === 'file' ? fileURLToPath(source) : source, loop: c.loop ?? true };
    return {
      name,
      source,
      label: redactor.redact(describeSource(parseSource(source))),
      width: c.width,
      height: c.height,
      fps: c.fps,
      slots: c.slots,
    };
  } catch (err) {
    const path = ['cameras', name, 'source'];
    throw new ConfigError('CONFIG_INVALID', redactor.redact(err instanceof Error ? err.message : String(err)), {
      path: formatPath(path),
      line: where.lines.lineOf(path),
      file: where.file,
    });
  }
}
