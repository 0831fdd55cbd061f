// Where the backend runtime and the user's module live, and how to start Node so that it can load them:
// compiled JS runs as is; TypeScript (under tsx or vitest) needs the tsx loader in the child.

import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { extname, isAbsolute } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { ProcessError } from './process_error.js';

export interface ForkSpec {
  runtimePath: string;
  moduleUrl: string;
  exportName: string;
  execArgv: string[];
}

const TS_EXTENSIONS = new Set(['.ts', '.mts', '.cts', '.tsx']);

export function runtimePath(): string {
  // The runtime sits next to this file, with the same extension (.ts in src/ under tsx/vitest, .js in dist/).
  const here = fileURLToPath(import.meta.url);
  const path = fileURLToPath(new URL(`./backend_runtime${extname(here)}`, import.meta.url));
  if (!existsSync(path)) {
    throw new ProcessError('START_FAILED', `the backend runtime ${path} is missing: is the framering package complete (run the build)?`);
  }
  return path;
}

/** Accepts `import.meta.url`, another file: URL, or an absolute path. */
export function normalizeModuleUrl(location: string, className: string): string {
  if (location.startsWith('file:')) return location;
  if (isAbsolute(location)) return pathToFileURL(location).href;
  throw new ProcessError(
    'INVALID_ARGUMENT',
    `module location of ${className} must be a file: URL (import.meta.url) or an absolute path, got '${location}'`,
  );
}

function isTypeScript(pathOrUrl: string): boolean {
  const path = pathOrUrl.startsWith('file:') ? fileURLToPath(pathOrUrl) : pathOrUrl;
  return TS_EXTENSIONS.has(extname(path));
}

let tsxLoaderUrl: string | undefined;
function tsxLoader(): string {
  try {
    // Resolved from this package, not from the user's cwd, so that `--import` finds it wherever node was started.
    tsxLoaderUrl ??= pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
    return tsxLoaderUrl;
  } catch (err) {
    throw new ProcessError('START_FAILED', 'a TypeScript backend needs the tsx package, which could not be resolved: install tsx', { cause: err });
  }
}

export function resolveForkSpec(
  className: string,
  moduleLocation: string,
  exportName: string,
  execArgv: string[] | undefined,
): ForkSpec {
  const runtime = runtimePath();
  const moduleUrl = normalizeModuleUrl(moduleLocation, className);
  if (!existsSync(fileURLToPath(moduleUrl))) {
    throw new ProcessError('INVALID_ARGUMENT', `module of ${className} not found at ${fileURLToPath(moduleUrl)}`);
  }
  const needsTsx = isTypeScript(runtime) || isTypeScript(moduleUrl);
  const base = execArgv ?? [];
  const hasTsx = base.some((arg) => arg.includes('tsx'));
  return { runtimePath: runtime, moduleUrl, exportName, execArgv: needsTsx && !hasTsx ? ['--import', tsxLoader(), ...base] : base };
}
