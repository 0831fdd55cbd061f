// Which methods the frontend may call through `p.backend`, checked in the backend before a call runs (backend_api.ts
// states the same rules as types). Refused: the process machinery, the lifecycle hooks the framework calls itself,
// names starting with '_', methods a class marks as frontend-only, and anything that is not a method.

import type { LifecycleHookName } from './backend_api.js';

const LIFECYCLE_HOOKS: ReadonlySet<string> = new Set<LifecycleHookName>([
  'preRun',
  'postRun',
  'handleFrame',
  'handleMessage',
  'handleRingGone',
  'handleMasterGone',
]);

/** The constructor side of a process class, as far as the rules need it. */
export interface ProcessClassLike {
  name: string;
  frontendMethods?: readonly string[];
}

/**
 * Why `method` may not be called on `instance` from the frontend, or null when it may. `machinery` is the prototype
 * of the base class (MessageProcess.prototype): its methods are never remote.
 */
export function refuseCall(instance: object, processName: string, method: string, machinery: object): string | null {
  const ctor = instance.constructor as ProcessClassLike;
  const where = `process '${processName}' (class ${ctor.name})`;
  if (typeof method !== 'string' || method.length === 0) return `invalid method name ${String(method)}`;
  if (method.startsWith('_') || method === 'constructor' || method in machinery || LIFECYCLE_HOOKS.has(method)) {
    return (
      `${method} is not callable from the frontend of ${where}: ` +
      `it is part of the process machinery or a lifecycle hook`
    );
  }
  const base = machinery.constructor;
  for (let c: ProcessClassLike | null = ctor; c && c !== base; c = Object.getPrototypeOf(c)) {
    if (Object.hasOwn(c, 'frontendMethods') && c.frontendMethods?.includes(method)) {
      return (
        `${method}() runs in the frontend of ${where}; ` +
        `call it on the process object in the parent, not through p.backend`
      );
    }
  }
  // Look at the descriptor, not the value: reading a getter here could run frontend-only code.
  let descriptor: PropertyDescriptor | undefined;
  for (let o: object | null = instance; o && !descriptor; o = Object.getPrototypeOf(o))
    descriptor = Object.getOwnPropertyDescriptor(o, method);
  if (!descriptor || typeof descriptor.value !== 'function') return `${where} has no backend method ${method}()`;
  return null;
}
