// The type of `p.backend`: every public method of the process class that runs in the backend, turned into an async
// call from the frontend. Left out: the machinery of MessageProcess (start, stop, on, …), the lifecycle hooks the
// framework calls itself (preRun, postRun, handleFrame, handleMessage), names starting with '_', and methods the class
// marks as frontend-only.

import type { FRONTEND_ONLY } from './internal_symbols.js';
import type { MessageProcess } from './message_process.js';

/** Backend hooks the framework calls; never called from the frontend. */
export type LifecycleHookName =
  | 'preRun'
  | 'postRun'
  | 'handleFrame'
  | 'handleMessage'
  | 'handleRingGone'
  | 'handleMasterGone';

/** Any function at all: every parameter list accepts `never`, every result is `unknown`. */
type AnyFunction = (...args: never[]) => unknown;

type FrontendOnlyKeys<T> = T extends { [FRONTEND_ONLY]?: infer M } ? keyof NonNullable<M> : never;

type ExcludedKey<T> = keyof MessageProcess | LifecycleHookName | FrontendOnlyKeys<T> | `_${string}`;

export type BackendMethodName<T> = {
  [K in keyof T]: K extends string ? (K extends ExcludedKey<T> ? never : T[K] extends AnyFunction ? K : never) : never;
}[keyof T];

/** A backend method as seen from the frontend: same parameters, the (awaited) result wrapped in a promise. */
export type RemoteMethod<F> = F extends (...args: infer A) => infer R ? (...args: A) => Promise<Awaited<R>> : never;

export type BackendApi<T> = { [K in BackendMethodName<T>]: RemoteMethod<T[K]> };
