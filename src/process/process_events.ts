// The events of a process as types. A class says what its backend sends with a map of event name → payload tuple:
// `class MyProc extends RGB24Process<{ brightness: [value: number] }>`. Then `p.on('brightness', (v) => …)`,
// `p.events('brightness')` and the backend's `this.sendOut('brightness', 0.4)` are checked by tsc: a wrong name or
// payload type is an error. A class that declares no map (the default, AnyEvents) accepts any name, untyped, as before.

import type { ExitInfo } from './process_options.js';

declare const ANY_EVENT: unique symbol;

/** The default event map: the class declares none, so any event name is accepted and its payload is `any`. */
export interface AnyEvents {
  readonly [ANY_EVENT]?: true;
}

/**
 * The constraint on an event map: each event carries at most one payload (what sendOut sends), written as a
 * labelled tuple, e.g. `{ brightness: [value: number]; idle: [] }`.
 */
export type ProcessEventMap<T> = { [K in keyof T]: K extends typeof ANY_EVENT ? unknown : [] | [payload: unknown] };

/** Events every process emits on its frontend, whatever its class. */
export interface LifecycleEvents {
  exit: [info: ExitInfo];
}

type IsAny<T> = typeof ANY_EVENT extends keyof T ? true : false;
type DeclaredName<T> = Exclude<keyof T, typeof ANY_EVENT> & string;

/** The names `on()` accepts for the map T: the declared ones, or any string when the map is AnyEvents. */
export type EventName<T> = IsAny<T> extends true ? DeclaredName<T> | (string & {}) : DeclaredName<T>;

/** The listener arguments of event K in the map T. */
export type EventArgs<T, K> =
  // biome-ignore lint/suspicious/noExplicitAny: a class without an event map keeps its untyped payloads
  K extends DeclaredName<T> ? (T[K] extends unknown[] ? T[K] : never) : IsAny<T> extends true ? [payload?: any] : never;

export type EventListener<T, K> = (...args: EventArgs<T, K>) => void;

/** What the frontend of a process whose backend sends `Events` emits: those, and the lifecycle events. */
export type FrontendEvents<Events> = LifecycleEvents & Events;
