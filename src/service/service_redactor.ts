// One redactor for everything the service prints or serves: every camera URL's credentials, the cameras'
// username/password fields, the HTTP token, secrets of the reserved bridges, and values that came from
// environment variables named like secrets. Built from the config, before anything is printed.

import { Redactor } from '../stream/internal.js';
import type { ServiceConfig } from './config/schema.js';

const MASK = '***';
/** Keys whose values are secrets wherever they appear in the config. */
export const SECRET_KEY = /^(password|passwd|pass|token|secret|api_?key|credentials?)$/i;

export class ServiceRedactor {
  private readonly redactors: Redactor[];

  constructor(config: ServiceConfig, extraSecrets: readonly string[] = []) {
    const secrets = [...extraSecrets];
    this.redactors = [];
    for (const camera of Object.values(config.cameras)) {
      this.redactors.push(Redactor.forUrl(camera.source));
      if (camera.password) secrets.push(camera.password);
      if (camera.username && camera.password)
        secrets.push(Buffer.from(`${camera.username}:${camera.password}`).toString('base64'));
    }
    // The MQTT broker's URL may carry credentials too.
    if (config.mqtt?.url) this.redactors.push(Redactor.forUrl(config.mqtt.url));
    if (config.mqtt?.username && config.mqtt.password)
      secrets.push(Buffer.from(`${config.mqtt.username}:${config.mqtt.password}`).toString('base64'));
    // nats://user:pass@host URLs (the nats: section's user/password/token keys are found below like every secret key).
    const nats = config.nats?.servers;
    for (const server of typeof nats === 'string' ? [nats] : (nats ?? [])) this.redactors.push(Redactor.forUrl(server));
    collectSecretValues(config, secrets);
    this.redactors.push(new Redactor(secrets));
  }

  redact(text: string): string {
    let out = text;
    for (const r of this.redactors) out = r.redact(out);
    return out;
  }

  /** A deep copy with secret keys masked and every text redacted. */
  redactValue(value: unknown): unknown {
    if (typeof value === 'string') return this.redact(value);
    if (Array.isArray(value)) return value.map((v) => this.redactValue(v));
    if (typeof value === 'object' && value !== null) {
      const out: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(value))
        out[k] = SECRET_KEY.test(k) && v !== undefined && v !== null ? MASK : this.redactValue(v);
      return out;
    }
    return value;
  }
}

function collectSecretValues(value: unknown, into: string[]): void {
  if (Array.isArray(value)) for (const v of value) collectSecretValues(v, into);
  else if (typeof value === 'object' && value !== null) {
    for (const [k, v] of Object.entries(value)) {
      if (SECRET_KEY.test(k) && (typeof v === 'string' || typeof v === 'number')) into.push(String(v));
      else collectSecretValues(v, into);
    }
  }
}
