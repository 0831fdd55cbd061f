// The config's shape, checked with zod. Every message says what the value must be (never echoing it: it may be a
// secret); the key path and the line are added by parse_config.ts.
//
//   cameras:   name → { source, width, height, fps, transport, slots, username?, password? }
//   processes: a list of groups, each in one of main1–main3's shapes:
//     shared          one process reads every camera it lists (main1)
//     per-camera      one process per camera, named <name>-<camera> (main2)
//     client-master   one light client per camera (<name>-<camera>) + one shared master (<name>-master) (main3)
//   http:      { host, port, token?, mjpeg: { maxClientsPerCamera, maxClients } }
//   events:    { recent }   how many events the service keeps for late joiners
//   mqtt:      the MQTT bridge (src/service/mqtt/mqtt_config.ts)
//   nats:      { servers, user?, password?, token?, prefix, host?, encoding, jpeg_quality, inflight, timeout_ms,
//                max_clients }   remote masters: a client-master group's `master: { remote: name }` on a camera
//                host, `master: { class, serve_remote: true }` on a detector host

import { z } from 'zod';
import { mqttConfigSchema } from '../mqtt/mqtt_config.js';
import { BUILTIN_CLASSES, BUILTIN_NAMES } from '../processes/builtin_classes.js';

const range = (min: number, max: number) => `must be an integer ${min}–${max}`;
const int = (min: number, max: number) => {
  const error = range(min, max);
  return z.number({ error }).int({ error }).min(min, { error }).max(max, { error });
};
const text = (what = 'a text') => z.string({ error: `must be ${what}` }).min(1, { error: 'must not be empty' });

export const CAMERA_NAME = /^[A-Za-z0-9_-]{1,32}$/;
export const PROCESS_NAME = /^[A-Za-z0-9_-]{1,31}$/;
export const LIMITS = { minSize: 16, maxSize: 4096, maxFps: 60, minSlots: 2, maxSlots: 64 } as const;

const cameraSchema = z.strictObject({
  /** rtsp://…, http(s)://…, a file path or file:// URL, synthetic://testsrc2. */
  source: text('a camera URL (rtsp://…, http(s)://…, a file, synthetic://testsrc2)'),
  width: int(LIMITS.minSize, LIMITS.maxSize).default(640),
  height: int(LIMITS.minSize, LIMITS.maxSize).default(360),
  fps: z
    .number({ error: `must be a number above 0 and at most ${LIMITS.maxFps}` })
    .gt(0, { error: `must be a number above 0 and at most ${LIMITS.maxFps}` })
    .max(LIMITS.maxFps, { error: `must be a number above 0 and at most ${LIMITS.maxFps}` })
    .default(10),
  transport: z.enum(['tcp', 'udp'], { error: 'must be tcp or udp' }).default('tcp'),
  slots: int(LIMITS.minSlots, LIMITS.maxSlots).default(8),
  /** Video files only: start again at the end, as a camera would go on (default true; false: the camera ends). */
  loop: z.boolean({ error: 'must be true or false' }).optional(),
  /** RTSP credentials kept out of the URL (both redacted everywhere). */
  username: text().optional(),
  password: text().optional(),
});

/** A built-in class name, or a user's { module, export }. Checked by hand for messages that say what fits. */
export type ClassRef = string | { module: string; export?: string };

const classRef = z.unknown().superRefine((value, ctx) => {
  const ownClass = '{ module: ./file.js, export: ClassName }';
  const builtins = `one of the built-in classes (${BUILTIN_NAMES.join(', ')}) or ${ownClass}`;
  if (value === undefined) {
    ctx.addIssue({ code: 'custom', message: `is required: ${builtins}` });
  } else if (typeof value === 'string') {
    if (!BUILTIN_CLASSES[value])
      ctx.addIssue({ code: 'custom', message: `'${value.slice(0, 64)}' is not a built-in class: use ${builtins}` });
  } else if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
    const v = value as Record<string, unknown>;
    for (const key of Object.keys(v))
      if (key !== 'module' && key !== 'export')
        ctx.addIssue({ code: 'custom', path: [key], message: `unknown key (a class has module and export)` });
    if (typeof v.module !== 'string' || v.module === '')
      ctx.addIssue({
        code: 'custom',
        path: ['module'],
        message: 'must be the path of a module (.js or .ts), relative to the config file',
      });
    if (v.export !== undefined && (typeof v.export !== 'string' || !/^[A-Za-z_$][A-Za-z0-9_$]*$/.test(v.export))) {
      ctx.addIssue({
        code: 'custom',
        path: ['export'],
        message: 'must be the name the module exports the class under',
      });
    }
  } else {
    ctx.addIssue({ code: 'custom', message: `must be ${builtins}` });
  }
}) as z.ZodType<ClassRef>;

const options = z.record(z.string(), z.unknown(), { error: 'must be a mapping of option names to values' }).default({});
const processName = z
  .string({ error: 'must be a text' })
  .regex(PROCESS_NAME, { error: 'must be 1–31 letters, digits, _ or -' });
const cameraList = z
  .array(z.string({ error: 'must be a camera name' }), { error: 'must be a list of camera names' })
  .min(1, { error: 'must name at least one camera (leave it out for all cameras)' })
  .optional();
/** A client-master group whose master serves remote clients may have no camera of its own (a detector host). */
const cameraListOrNone = z
  .array(z.string({ error: 'must be a camera name' }), { error: 'must be a list of camera names' })
  .optional();

/** A remote master's name: one NATS subject token (<prefix>.frames.<name>). */
export const REMOTE_NAME = /^[A-Za-z0-9_-]{1,31}$/;
const remoteName = z
  .string({ error: 'must be a text' })
  .regex(REMOTE_NAME, { error: 'must be 1–31 letters, digits, _ or -' });
/**
 * A master here (class, options; serve_remote: also serve clients of other hosts through NATS) or on a detector host.
 */
const localMaster = z.strictObject({
  where: z.literal('local'),
  class: classRef,
  options,
  /** true: serve the clients of camera hosts under this group's name; a text: under that name. */
  serve_remote: z
    .union([z.literal(true), remoteName], {
      error: "must be true (serve under the group's name) or a name (1–31 letters, digits, _ or -)",
    })
    .optional(),
});
const remoteMaster = z.strictObject({ where: z.literal('remote'), remote: remoteName });
const masterSchema = z.preprocess(
  (v) =>
    typeof v === 'object' && v !== null && !Array.isArray(v) ? { ...v, where: 'remote' in v ? 'remote' : 'local' } : v,
  z.discriminatedUnion('where', [localMaster, remoteMaster], {
    error: 'must be a mapping: { class, options } or { remote: name }',
  }),
);

const sharedGroup = z.strictObject({
  shape: z.literal('shared'),
  name: processName,
  class: classRef,
  cameras: cameraList,
  options,
});
const perCameraGroup = z.strictObject({
  shape: z.literal('per-camera'),
  name: processName,
  class: classRef,
  cameras: cameraList,
  options,
});
const clientMasterGroup = z.strictObject({
  shape: z.literal('client-master'),
  name: processName,
  cameras: cameraListOrNone,
  /** Required when the group has cameras (a detector host's group may have none). */
  client: z.strictObject({ class: classRef, options }, { error: 'must be a mapping: { class, options }' }).optional(),
  master: masterSchema,
  /**
   * The frames clients forward to the master: copies, by default of the camera's own size; or, with by_reference,
   * the camera's frames themselves, which the master takes in place (no copy, no forward ring; a local master only).
   */
  forward: z
    .strictObject({
      width: int(LIMITS.minSize, LIMITS.maxSize).optional(),
      height: int(LIMITS.minSize, LIMITS.maxSize).optional(),
      slots: int(2, 64).optional(),
      by_reference: z.boolean().optional(),
    })
    .optional(),
});

export const SHAPES = ['shared', 'per-camera', 'client-master'] as const;
const group = z.preprocess(
  // shared is the default shape: one process for its cameras, the simplest thing that works.
  (v) =>
    typeof v === 'object' && v !== null && !Array.isArray(v) && (v as { shape?: unknown }).shape === undefined
      ? { ...v, shape: 'shared' }
      : v,
  z.discriminatedUnion('shape', [sharedGroup, perCameraGroup, clientMasterGroup], {
    error: 'must be shared, per-camera or client-master',
  }),
);

const httpSchema = z.strictObject({
  host: text('a host name or address').default('127.0.0.1'),
  port: int(0, 65535).default(8321),
  /** Bearer token the HTTP side asks for; redacted everywhere. At least 8 characters, as startHttp asks. */
  token: text()
    .pipe(z.string().min(8, { error: 'must have at least 8 characters' }))
    .optional(),
  mjpeg: z
    .strictObject({
      /** MJPEG viewers per camera; one more gets 503 TOO_MANY_CLIENTS. */
      maxClientsPerCamera: int(1, 1000).default(20),
      /** MJPEG viewers over all cameras. */
      maxClients: int(1, 10_000).default(200),
    })
    .default({ maxClientsPerCamera: 20, maxClients: 200 }),
});

// Reserved for later issues: accepted (a config written for them still starts), not used yet.

/** NATS subject tokens joined by dots, no wildcards. */
export const SUBJECT_PREFIX = /^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$/;
const natsSchema = z
  .strictObject({
    /** nats://host:port, one or a list (a cluster): the client tries them all and follows the cluster. */
    servers: z
      .union(
        [
          text('a nats:// URL'),
          z
            .array(text('a nats:// URL'), { error: 'must be a URL or a list of URLs' })
            .min(1, { error: 'must list at least one server' }),
        ],
        {
          error: 'must be a nats:// URL or a list of them',
        },
      )
      .default(['nats://127.0.0.1:4222']),
    /** Credentials, usually ${NATS_USER} / ${NATS_PASSWORD} or ${NATS_TOKEN}: redacted everywhere. */
    user: text().optional(),
    password: text().optional(),
    token: text().optional(),
    /** Subjects: <prefix>.frames.<remote master>, <prefix>.replies.<host>.… */
    prefix: z
      .string({ error: 'must be a text' })
      .regex(SUBJECT_PREFIX, { error: 'must be subject tokens (letters, digits, _ or -) joined by dots' })
      .max(64, { error: 'must be at most 64 characters' })
      .default('framering'),
    /** This host's name in reply subjects and in detector-host client names (default: the machine's host name). */
    host: z
      .string({ error: 'must be a text' })
      .regex(/^[A-Za-z0-9_-]{1,64}$/, { error: 'must be 1–64 letters, digits, _ or -' })
      .optional(),
    /** jpeg (default, sharp) or raw RGB24 (when a frame fits the server's max_payload; else JPEG). */
    encoding: z.enum(['jpeg', 'raw'], { error: 'must be jpeg or raw' }).default('jpeg'),
    jpeg_quality: int(1, 100).default(80),
    /** Frames awaiting a reply, per client; a frame that finds no free slot is skipped and counted. */
    inflight: int(1, 64).default(2),
    /** A reply later than this is counted as timed out and its slot freed. */
    timeout_ms: int(50, 600_000).default(2000),
    /** Detector host: how many remote clients one master serves at once. */
    max_clients: int(1, 1024).default(32),
  })
  .superRefine((v, ctx) => {
    if (v.password !== undefined && v.user === undefined)
      ctx.addIssue({ code: 'custom', path: ['user'], message: 'is required with password' });
    if (v.user !== undefined && v.password === undefined)
      ctx.addIssue({ code: 'custom', path: ['password'], message: 'is required with user' });
    if (v.token !== undefined && v.user !== undefined)
      ctx.addIssue({
        code: 'custom',
        path: ['token'],
        message: 'cannot go with user and password: use one or the other',
      });
  });
export type NatsConfig = z.infer<typeof natsSchema>;

export const configSchema = z.strictObject({
  cameras: z.record(
    z.string().regex(CAMERA_NAME, { error: 'camera names are 1–32 letters, digits, _ or -' }),
    cameraSchema,
    { error: 'must be a mapping of camera names to cameras' },
  ),
  processes: z
    .array(group, { error: 'must be a list of process groups' })
    .min(1, { error: 'must list at least one process group' }),
  http: httpSchema.default({ host: '127.0.0.1', port: 8321, mjpeg: { maxClientsPerCamera: 20, maxClients: 200 } }),
  events: z.strictObject({ recent: int(10, 100_000).default(1000) }).default({ recent: 1000 }),
  mqtt: mqttConfigSchema.optional(),
  nats: natsSchema.optional(),
});

export type ServiceConfig = z.infer<typeof configSchema>;
export type CameraConfig = ServiceConfig['cameras'][string];
export type ProcessGroupConfig = ServiceConfig['processes'][number];
export const TOP_LEVEL_KEYS = Object.keys(configSchema.shape);
