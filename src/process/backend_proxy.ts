// `p.backend`: a Proxy whose every property is a function that sends a call to the backend. It holds no state; the
// call goes to the invoke function it was made with (MessageProcess → BackendChild.call).

import type { BackendApi } from './backend_api.js';

export type InvokeRemote = (method: string, args: unknown[]) => Promise<unknown>;

/** A `p.backend` whose calls all go through `invoke`. */
export function createBackendProxy<T>(invoke: InvokeRemote): BackendApi<T> {
  return new Proxy({} as BackendApi<T>, {
    get: (_target, prop) => {
      // `then` must stay undefined, or `await p.backend` would treat the proxy as a promise.
      if (typeof prop !== 'string' || prop === 'then') return undefined;
      return (...args: unknown[]) => invoke(prop, args);
    },
  });
}
