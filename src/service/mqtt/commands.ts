// Commands in: <prefix>/<camera>/detect/set with ON or OFF switches analysis of that camera. Anything else is
// ignored: a payload that is not ON/OFF with a warning (at most one per camera and minute, so a chatty client
// cannot flood the log), a topic for a camera this instance does not have silently (on a broker shared by several
// hosts, it is another host's camera).

import type { MqttTopics } from './topics.js';

export type Command = { kind: 'detect'; camera: string; enabled: boolean };
export type CommandResult =
  | { command: Command }
  | { ignored: 'not-ours' | 'unknown-camera' }
  | { ignored: 'bad-payload'; camera: string; warning: string };

const MAX_SHOWN = 32;

export function parseCommand(
  topic: string,
  payload: Buffer,
  topics: MqttTopics,
  hasCamera: (name: string) => boolean,
): CommandResult {
  const camera = topics.cameraOfDetectSet(topic);
  if (camera === null) return { ignored: 'not-ours' };
  if (!hasCamera(camera)) return { ignored: 'unknown-camera' };
  const text = payload.length <= 16 ? payload.toString('utf8').trim().toUpperCase() : '';
  if (text === 'ON' || text === 'OFF') return { command: { kind: 'detect', camera, enabled: text === 'ON' } };
  // Shown (printable, short) so that the sender can be found; it is a command, not a secret.
  const shown = payload.toString('utf8', 0, MAX_SHOWN).replace(/[^\x20-\x7e]/g, '?');
  return {
    ignored: 'bad-payload',
    camera,
    warning:
      `mqtt: ignored ${topic}: the payload must be ON or OFF ` +
      `(got '${shown}'${payload.length > MAX_SHOWN ? '…' : ''})`,
  };
}

/** At most one warning per key per interval. */
export class WarningLimiter {
  private readonly last = new Map<string, number>();
  constructor(private readonly intervalMs = 60_000) {}
  allow(key: string, now = Date.now()): boolean {
    const at = this.last.get(key);
    if (at !== undefined && now - at < this.intervalMs) return false;
    if (this.last.size > 1000) this.last.clear();
    this.last.set(key, now);
    return true;
  }
}
