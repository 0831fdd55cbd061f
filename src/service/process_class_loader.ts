// Finding the class a config names: a built-in one, or a user's module and export. Loaded in the service (the
// frontend needs the class) before anything starts, so a wrong path or name is a config error with its line, never
// a half-started service. TypeScript modules load through tsx, which is registered on first need.

import { existsSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { MessageProcess } from '../process/index.js';
import { ConfigError } from './config/config_error.js';
import type { ClassRef } from './config/schema.js';
import { BUILTIN_CLASSES, type ProcessRole } from './processes/builtin_classes.js';

export type ProcessClass = typeof MessageProcess & (new (options: Record<string, unknown>) => MessageProcess);

export interface LoadedClass {
  cls: ProcessClass;
  role: ProcessRole;
  /** For --check: "motion (built-in)" or "./my_proc.ts#MyProc". */
  label: string;
  /** For user classes: where the forked child finds it (passed in the options, so the class need not say). */
  moduleUrl?: string;
  exportName?: string;
}

/** Where an error about this class points. */
export interface ClassSite {
  path: string;
  lineOf(sub: ReadonlyArray<string | number>): number | null;
  file: string | null;
}

const PROCESS_CLASS_BRAND = Symbol.for('framering.process.class');
// Base classes by name, not by identity: a user's module may import framering from dist/ while the service runs
// from src/ (two copies of the same classes).
const ROLE_OF_BASE: Record<string, ProcessRole> = {
  MasterProcess: 'master',
  ClientProcess: 'client',
  RGB24Process: 'rgb',
};
const ROLE_BASE: Record<ProcessRole, string> = {
  rgb: 'RGB24Process',
  client: 'ClientProcess',
  master: 'MasterProcess',
};

let tsxRegistered = false;

export async function loadProcessClass(ref: ClassRef, baseDir: string, site: ClassSite): Promise<LoadedClass> {
  const fail = (
    code: ConstructorParameters<typeof ConfigError>[0],
    sub: Array<string | number>,
    what: string,
  ): never => {
    throw new ConfigError(code, what, {
      path: [site.path, ...sub.map(String)].join('.'),
      line: site.lineOf(sub),
      file: site.file,
    });
  };
  if (typeof ref === 'string') {
    const builtin = BUILTIN_CLASSES[ref]!;
    return { cls: (await builtin.load()) as ProcessClass, role: builtin.role, label: `${ref} (built-in)` };
  }
  const path = isAbsolute(ref.module) ? ref.module : resolve(baseDir, ref.module);
  if (!existsSync(path))
    fail('CONFIG_MODULE_NOT_FOUND', ['module'], `cannot find the module ${ref.module} (looked for ${path})`);
  const url = pathToFileURL(path).href;
  let mod: Record<string, unknown>;
  try {
    mod = await importModule(url);
  } catch (err) {
    const why = err instanceof Error ? err.message.split('\n')[0] : String(err);
    return fail('CONFIG_MODULE_FAILED', ['module'], `the module ${ref.module} fails to load: ${why}`);
  }
  const exportName = ref.export ?? defaultExport(mod);
  if (!exportName)
    return fail(
      'CONFIG_CLASS_NOT_FOUND',
      ['module'],
      `the module ${ref.module} has no default export and not exactly one process class: ` +
        `name it with export: ClassName`,
    );
  const cls = mod[exportName];
  if (cls === undefined) {
    const exported = Object.keys(mod).filter((k) => isProcessClass(mod[k]));
    return fail(
      'CONFIG_CLASS_NOT_FOUND',
      ['export'],
      `the module ${ref.module} does not export ${exportName} ` +
        `(process classes it exports: ${exported.join(', ') || 'none'})`,
    );
  }
  if (!isProcessClass(cls))
    return fail(
      'CONFIG_CLASS_INVALID',
      ['export'],
      `${exportName} in ${ref.module} is not a framering process class ` +
        `(extend RGB24Process, ClientProcess or MasterProcess)`,
    );
  const role = roleOf(cls);
  if (!role)
    return fail(
      'CONFIG_CLASS_INVALID',
      ['export'],
      `${exportName} in ${ref.module} cannot read cameras: extend RGB24Process, ClientProcess or MasterProcess`,
    );
  return { cls: cls as ProcessClass, role, label: `${ref.module}#${exportName}`, moduleUrl: url, exportName };
}

/** Checks that a class fits where the config puts it; throws a ConfigError at the class's key otherwise. */
export function requireRole(loaded: LoadedClass, role: ProcessRole, where: string, site: ClassSite): void {
  if (loaded.role === role) return;
  throw new ConfigError(
    'CONFIG_CLASS_INVALID',
    `${loaded.label} is a ${ROLE_BASE[loaded.role]}, but ${where} needs a ${ROLE_BASE[role]} subclass`,
    {
      path: site.path,
      line: site.lineOf([]),
      file: site.file,
    },
  );
}

async function importModule(url: string): Promise<Record<string, unknown>> {
  try {
    return (await import(url)) as Record<string, unknown>;
  } catch (err) {
    // Plain node (the installed bin) does not read TypeScript: bring in tsx's loader once and try again.
    if ((err as NodeJS.ErrnoException).code !== 'ERR_UNKNOWN_FILE_EXTENSION') throw err;
    if (tsxRegistered) return (await import(`${url}?tsx`)) as Record<string, unknown>;
    const { register } = await import('tsx/esm/api');
    register();
    tsxRegistered = true;
    // Node remembers the failed load of this URL: a query makes it a new one.
    return (await import(`${url}?tsx`)) as Record<string, unknown>;
  }
}

function defaultExport(mod: Record<string, unknown>): string | null {
  if (isProcessClass(mod.default)) return 'default';
  const classes = Object.keys(mod).filter((k) => isProcessClass(mod[k]));
  return classes.length === 1 ? classes[0]! : null;
}

function isProcessClass(value: unknown): boolean {
  return typeof value === 'function' && (value as unknown as Record<symbol, unknown>)[PROCESS_CLASS_BRAND] === true;
}

function roleOf(cls: unknown): ProcessRole | null {
  for (let c = cls as { name?: string } | null; c && c !== Function.prototype; c = Object.getPrototypeOf(c)) {
    const role = ROLE_OF_BASE[c.name ?? ''];
    if (role) return role;
  }
  return null;
}
