// Topic names, Frigate's where they fit. Camera names are already topic-safe (letters, digits, _ and -); labels and
// anything a process chose pass through topicWord(), so nothing can inject a wildcard or an extra level.
//
//   <prefix>/<instance>/available      online / offline, retained (last will: offline)
//   <prefix>/<instance>/stats          the /api/stats JSON
//   <prefix>/events                    object events {type: new|update|end, …}
//   <prefix>/<camera>/motion           ON / OFF, retained
//   <prefix>/<camera>/<label>          object count, retained
//   <prefix>/<camera>/<label>/snapshot JPEG, retained
//   <prefix>/<camera>/detect/set       ON / OFF (commands in)
//   <prefix>/<camera>/detect/state     ON / OFF, retained (confirmation)

/** Levels a label may not take under <prefix>/<camera>/: they are topics of their own. */
const RESERVED_LEVELS = new Set(['motion', 'detect', 'events', 'available', 'stats']);

/** Any text as one safe topic level (and Home Assistant object id part). */
export function topicWord(text: string): string {
  const word = text.replace(/[^A-Za-z0-9_-]/g, '_').slice(0, 64);
  return word === '' ? '_' : word;
}

/** A label as a topic level: safe, and never one of the camera's own topics. */
export function labelLevel(label: string): string {
  const word = topicWord(label);
  return RESERVED_LEVELS.has(word) ? `${word}_object` : word;
}

export class MqttTopics {
  constructor(
    readonly prefix: string,
    readonly instance: string,
    readonly discoveryPrefix: string,
  ) {}

  get available(): string {
    return `${this.prefix}/${this.instance}/available`;
  }
  get stats(): string {
    return `${this.prefix}/${this.instance}/stats`;
  }
  get events(): string {
    return `${this.prefix}/events`;
  }
  motion(camera: string): string {
    return `${this.prefix}/${camera}/motion`;
  }
  count(camera: string, label: string): string {
    return `${this.prefix}/${camera}/${labelLevel(label)}`;
  }
  snapshot(camera: string, label: string): string {
    return `${this.prefix}/${camera}/${labelLevel(label)}/snapshot`;
  }
  detectSet(camera: string): string {
    return `${this.prefix}/${camera}/detect/set`;
  }
  detectState(camera: string): string {
    return `${this.prefix}/${camera}/detect/state`;
  }
  /** What the bridge subscribes to for commands. */
  get detectSetFilter(): string {
    return `${this.prefix}/+/detect/set`;
  }
  /** The camera a detect/set topic names, or null when it is not one. */
  cameraOfDetectSet(topic: string): string | null {
    const head = `${this.prefix}/`;
    if (!topic.startsWith(head) || !topic.endsWith('/detect/set')) return null;
    const camera = topic.slice(head.length, -'/detect/set'.length);
    return camera !== '' && !camera.includes('/') ? camera : null;
  }
  /** Home Assistant announces itself here ('online') after a restart: discovery is sent again. */
  get haStatus(): string {
    return `${this.discoveryPrefix}/status`;
  }
  /** homeassistant/<component>/<node>/<object>/config */
  discovery(component: string, objectId: string): string {
    return (
      `${this.discoveryPrefix}/${component}/` +
      `${topicWord(`framering_${this.instance}`)}/${topicWord(objectId)}/config`
    );
  }
  /** A route's or a process's own topic, under the prefix; levels made safe, no wildcards, no empty level. */
  custom(topic: string): string | null {
    const levels = topic.split('/').filter((l) => l !== '');
    if (levels.length === 0 || levels.length > 8) return null;
    return `${this.prefix}/${levels.map(topicWord).join('/')}`;
  }
}
