// Home Assistant MQTT discovery: retained configs under homeassistant/<component>/framering_<instance>/<id>/config,
// so cameras appear in Home Assistant with no custom integration. Per camera (one HA device each):
//   binary_sensor  <camera> motion          state <prefix>/<camera>/motion (ON/OFF)
//   sensor         <camera> fps             from <prefix>/<instance>/stats (cameras.<camera>.camera_fps)
//   switch         <camera> detect          command <prefix>/<camera>/detect/set, state …/detect/state
// and per camera and label, once the label has been seen:
//   sensor         <camera> <label> count   state <prefix>/<camera>/<label>
//   camera         <camera> <label>         image <prefix>/<camera>/<label>/snapshot (when snapshots are on)
// Every entity is available while <prefix>/<instance>/available says online.

import { labelLevel, topicWord, type MqttTopics } from './topics.js';

export interface DiscoveryMessage {
  topic: string;
  payload: string;
}

interface Context {
  topics: MqttTopics;
  version: string;
}

function device(ctx: Context, camera: string): Record<string, unknown> {
  return {
    identifiers: [uid(ctx, camera)],
    name: `${camera} (${ctx.topics.instance})`,
    manufacturer: 'framering',
    model: 'framering camera',
    sw_version: ctx.version,
  };
}

function uid(ctx: Context, ...parts: string[]): string {
  return topicWord(['framering', ctx.topics.instance, ...parts].join('_'));
}

function message(ctx: Context, component: string, objectId: string, config: Record<string, unknown>): DiscoveryMessage {
  return { topic: ctx.topics.discovery(component, objectId), payload: JSON.stringify(config) };
}

function common(ctx: Context, camera: string, name: string, ...idParts: string[]): Record<string, unknown> {
  return {
    name,
    unique_id: uid(ctx, camera, ...idParts),
    object_id: uid(ctx, camera, ...idParts),
    device: device(ctx, camera),
    availability_topic: ctx.topics.available,
    payload_available: 'online',
    payload_not_available: 'offline',
  };
}

/** The configs every camera has from the start. */
export function cameraDiscovery(ctx: Context, camera: string): DiscoveryMessage[] {
  const t = ctx.topics;
  return [
    message(ctx, 'binary_sensor', `${camera}_motion`, {
      ...common(ctx, camera, 'Motion', 'motion'),
      state_topic: t.motion(camera),
      payload_on: 'ON',
      payload_off: 'OFF',
      device_class: 'motion',
    }),
    message(ctx, 'sensor', `${camera}_fps`, {
      ...common(ctx, camera, 'Camera fps', 'camera_fps'),
      state_topic: t.stats,
      // The camera's name is a topic word (letters, digits, _ and -): safe inside the template.
      value_template: `{{ value_json.cameras['${camera}'].camera_fps | default(0) }}`,
      unit_of_measurement: 'fps',
      state_class: 'measurement',
      entity_category: 'diagnostic',
    }),
    message(ctx, 'sensor', `${camera}_process_fps`, {
      ...common(ctx, camera, 'Process fps', 'process_fps'),
      state_topic: t.stats,
      value_template: `{{ value_json.cameras['${camera}'].process_fps | default(0) }}`,
      unit_of_measurement: 'fps',
      state_class: 'measurement',
      entity_category: 'diagnostic',
    }),
    message(ctx, 'switch', `${camera}_detect`, {
      ...common(ctx, camera, 'Detect', 'detect'),
      command_topic: t.detectSet(camera),
      state_topic: t.detectState(camera),
      payload_on: 'ON',
      payload_off: 'OFF',
      state_on: 'ON',
      state_off: 'OFF',
      icon: 'mdi:motion-sensor',
    }),
  ];
}

/** The configs a label gets on a camera once it has been seen there. */
export function labelDiscovery(ctx: Context, camera: string, label: string, snapshots: boolean): DiscoveryMessage[] {
  const t = ctx.topics;
  const level = labelLevel(label);
  const out = [
    message(ctx, 'sensor', `${camera}_${level}_count`, {
      ...common(ctx, camera, `${label} count`, level, 'count'),
      state_topic: t.count(camera, label),
      unit_of_measurement: 'objects',
      state_class: 'measurement',
      icon: 'mdi:shape',
    }),
  ];
  if (snapshots) {
    out.push(
      message(ctx, 'camera', `${camera}_${level}_snapshot`, {
        ...common(ctx, camera, `${label} snapshot`, level, 'snapshot'),
        topic: t.snapshot(camera, label),
      }),
    );
  }
  return out;
}
