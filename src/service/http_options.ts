// The config's http section as startHttp's options: what `framering serve` passes, and what tests and embedders
// that start the HTTP side themselves pass, so that both serve the same thing.

import type { ServiceConfig } from './config/schema.js';
import type { HttpOptions } from './http/index.js';

export function httpOptionsFor(config: Pick<ServiceConfig, 'http'>): HttpOptions {
  const { host, port, token, mjpeg } = config.http;
  return {
    host,
    port,
    ...(token ? { token } : {}),
    mjpeg: { maxClientsPerCamera: mjpeg.maxClientsPerCamera, maxClients: mjpeg.maxClients },
  };
}
