// The `mqtt:` section of the service config (zod), and the same defaults for `--mqtt URL` and for code that calls
// startMqttBridge without a config file. Messages never echo a value: a URL may hold a password.
//
//   mqtt:
//     url: mqtt://broker:1883        # or mqtts://…; credentials in the URL are allowed (redacted everywhere)
//     username: framering
//     password: ${MQTT_PASSWORD}     # from the environment; FRAMERING_MQTT_PASSWORD is used when none is set
//     client_id: framering-host1     # default framering-<instance_id>
//     topic_prefix: framering        # default framering
//     instance_id: host1             # default the hostname
//     stats_interval: 60             # seconds between <prefix>/<instance>/stats messages
//     required: false                # true: no MQTT at start = the service does not start
//     …                              # see the README (MQTT) for the rest

import { z } from 'zod';

const text = (what: string) => z.string({ error: `must be ${what}` }).min(1, { error: 'must not be empty' });
const seconds = (min: number, max: number, dflt: number) =>
  z
    .number({ error: `must be a number of seconds, ${min}–${max}` })
    .min(min, { error: `must be a number of seconds, ${min}–${max}` })
    .max(max, { error: `must be a number of seconds, ${min}–${max}` })
    .default(dflt);
const int = (min: number, max: number, dflt: number) => {
  const error = `must be an integer ${min}–${max}`;
  return z.number({ error }).int({ error }).min(min, { error }).max(max, { error }).default(dflt);
};

/** MQTT topic levels and Home Assistant ids: no wildcards, no separators, nothing odd. */
export const TOPIC_WORD = /^[A-Za-z0-9_-]{1,64}$/;
/** mqtt://, mqtts://, ws://, wss:// (mqtt.js speaks all four), with a host. */
export const MQTT_URL_ERROR = 'must be a broker URL: mqtt://host[:port] or mqtts://host[:port] (also ws://, wss://)';

export function isBrokerUrl(value: string): boolean {
  try {
    const u = new URL(value);
    return ['mqtt:', 'mqtts:', 'ws:', 'wss:', 'tcp:', 'ssl:'].includes(u.protocol) && u.hostname !== '';
  } catch {
    return false;
  }
}

const route = z.strictObject({
  /** Which events: every field given must match (source may end in * for a prefix). */
  kind: z.enum(['motion', 'objects', 'custom'], { error: 'must be motion, objects or custom' }).optional(),
  source: text('a process name (a trailing * matches a prefix)').optional(),
  camera: text('a camera name').optional(),
  /** Under the prefix; {camera}, {source}, {kind} are filled in. Default {camera}/{source}/{kind}. */
  topic: text('a topic under the prefix, e.g. {camera}/brightness').default('{camera}/{source}/{kind}'),
  /** 'event' (the whole FrameringEvent as JSON, default) or 'data' (only its data). */
  payload: z.enum(['event', 'data'], { error: 'must be event or data' }).default('event'),
  retain: z.boolean({ error: 'must be true or false' }).default(false),
});

export const mqttConfigSchema = z.strictObject({
  url: z.string({ error: MQTT_URL_ERROR }).refine(isBrokerUrl, { error: MQTT_URL_ERROR }),
  username: text('a user name').optional(),
  password: text('a password').optional(),
  client_id: z
    .string({ error: 'must be 1–64 letters, digits, _ or -' })
    .regex(TOPIC_WORD, { error: 'must be 1–64 letters, digits, _ or -' })
    .optional(),
  topic_prefix: z
    .string({ error: 'must be topic levels of letters, digits, _ or - separated by /' })
    .regex(/^[A-Za-z0-9_-]{1,64}(\/[A-Za-z0-9_-]{1,64}){0,4}$/, {
      error: 'must be topic levels of letters, digits, _ or - separated by /',
    })
    .default('framering'),
  instance_id: z
    .string({ error: 'must be 1–64 letters, digits, _ or -' })
    .regex(TOPIC_WORD, { error: 'must be 1–64 letters, digits, _ or -' })
    .optional(),
  stats_interval: seconds(0.2, 86_400, 60),
  /** true: the service does not start unless the broker accepts us at start. */
  required: z.boolean({ error: 'must be true or false' }).default(false),
  /** Seconds; a killed service goes offline (last will) within 1.5 × this. */
  keepalive: int(1, 3600, 30),
  /** Messages kept while the broker is away; the oldest go first (and are counted). */
  queue_size: int(10, 100_000, 1000),
  /** Seconds without a motion event before <camera>/motion goes OFF. */
  motion_off_delay: seconds(0.1, 3600, 10),
  /** Seconds an object may go unseen before its event ends. */
  object_end_delay: seconds(0.1, 3600, 3),
  /** Seconds between two update events of one object (new and end always go out). */
  update_interval: seconds(0, 3600, 1),
  /** Longest wait between reconnect attempts (seconds); the first is after ~0.5 s. */
  reconnect_max: seconds(0.5, 600, 15),
  tls: z
    .strictObject({
      /** A CA certificate file (PEM) for a broker whose certificate a private CA signed. */
      ca_file: text('the path of a PEM file').optional(),
      /** false accepts any certificate (tests only). */
      reject_unauthorized: z.boolean({ error: 'must be true or false' }).default(true),
    })
    .optional(),
  discovery: z
    .strictObject({
      enabled: z.boolean({ error: 'must be true or false' }).default(true),
      prefix: z
        .string({ error: 'must be a topic level' })
        .regex(TOPIC_WORD, { error: 'must be 1–64 letters, digits, _ or -' })
        .default('homeassistant'),
    })
    .default({ enabled: true, prefix: 'homeassistant' }),
  snapshots: z
    .strictObject({
      enabled: z.boolean({ error: 'must be true or false' }).default(true),
      /** At most one snapshot per camera and label per this many seconds. */
      interval: seconds(0.5, 86_400, 5),
      /** Scaled to this height (pixels; the camera's own when smaller). */
      height: int(16, 4096, 360),
      quality: int(1, 100, 70),
    })
    .default({ enabled: true, interval: 5, height: 360, quality: 70 }),
  /** Events of any process to topics of your choosing, by config: no code. */
  routes: z.array(route, { error: 'must be a list of routes' }).default([]),
});

export type MqttConfig = z.infer<typeof mqttConfigSchema>;
export type MqttRoute = MqttConfig['routes'][number];

/** The config `--mqtt URL` (or startMqttBridge(view, { url })) stands for: every default. */
export function mqttConfigFor(url: string, more: Partial<z.input<typeof mqttConfigSchema>> = {}): MqttConfig {
  return mqttConfigSchema.parse({ ...more, url });
}
