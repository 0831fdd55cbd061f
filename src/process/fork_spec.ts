// Where the backend runtime and the user's module live, and how to start Node so that it can load them:
// compiled JS runs as is; TypeScript (under tsx or vitest) needs the tsx loader in the child.
//
// A frontend running from this package's TypeScript sources (tsx, vitest) forks its children on the compiled JS in
// the package's dist/ instead, when dist/ holds an up-to-date build of both the runtime and the user's module: tsx
// and transpiling the import graph at start cost a child ~30 MiB and a second of CPU. "Up to date" means every .ts
// file under src/ and under the module's own top-level folder (examples/, scripts/, ...) has a .js counterpart in
// dist/ at least as new as itself; otherwise (or with FRAMERING_CHILD_TS=1) the child loads the sources through tsx,
// as before. Modules outside a build (test fixtures, your own .ts files) always load through tsx.

import { existsSync, readdirSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, extname, isAbsolute, join, relative, sep } from 'node:path';
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
    throw new ProcessError(
      'START_FAILED',
      `the backend runtime ${path} is missing: is the framering package complete (run the build)?`,
    );
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
    throw new ProcessError(
      'START_FAILED',
      'a TypeScript backend needs the tsx package, which could not be resolved: install tsx',
      { cause: err },
    );
  }
}

/** This package's root: two levels above this file (src/process/ in the sources, dist/src/process/ when built). */
function sourceRoot(): string | null {
  const here = fileURLToPath(import.meta.url);
  if (!isTypeScript(here)) return null; // already compiled: nothing to swap
  return dirname(dirname(dirname(here)));
}

const freshDirs = new Map<string, boolean>();

/** True when every .ts under root/dir has a .js in root/dist/dir at least as new (checked once per process). */
function builtAndFresh(root: string, dir: string): boolean {
  const key = join(root, dir);
  let fresh = freshDirs.get(key);
  if (fresh !== undefined) return fresh;
  fresh = true;
  const walk = (at: string): void => {
    for (const entry of readdirSync(at, { withFileTypes: true })) {
      if (!fresh) return;
      const path = join(at, entry.name);
      if (entry.isDirectory()) {
        if (entry.name !== 'node_modules' && !entry.name.startsWith('.')) walk(path);
      } else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts')) {
        const js = join(root, 'dist', relative(root, path)).replace(/\.ts$/, '.js');
        try {
          if (statSync(js).mtimeMs < statSync(path).mtimeMs) fresh = false;
        } catch {
          fresh = false;
        }
      }
    }
  };
  try {
    walk(key);
  } catch {
    fresh = false;
  }
  if (fresh) freshDirs.set(key, true); // a stale build may be rebuilt while we run: look again next time
  return fresh;
}

/**
 * The compiled counterpart in this package's dist/ of a .ts file of the package (src/, examples/, scripts/), when it
 * exists and the build is up to date; null otherwise (also for files outside a build: test/, your own modules).
 */
export function compiledCounterpart(tsPath: string): string | null {
  if (process.env.FRAMERING_CHILD_TS === '1') return null;
  const root = sourceRoot();
  if (!root || !isTypeScript(tsPath)) return null;
  const rel = relative(root, tsPath);
  const top = rel.split(sep)[0];
  if (!top || rel.startsWith('..') || isAbsolute(rel) || top === 'dist' || top === 'node_modules' || top === 'test')
    return null;
  const js = join(root, 'dist', rel).replace(/\.(ts|mts|cts|tsx)$/, (m) =>
    m === '.mts' ? '.mjs' : m === '.cts' ? '.cjs' : '.js',
  );
  if (!existsSync(js)) return null;
  if (!builtAndFresh(root, 'src') || (top !== 'src' && !builtAndFresh(root, top))) return null;
  return js;
}

/** The compiled runtime and user module, when both have an up-to-date counterpart in dist/; else null. */
export function compiledCounterparts(
  runtime: string,
  moduleUrl: string,
): { runtime: string; moduleUrl: string } | null {
  const jsRuntime = compiledCounterpart(runtime);
  const jsModule = jsRuntime ? compiledCounterpart(fileURLToPath(moduleUrl)) : null;
  return jsRuntime && jsModule ? { runtime: jsRuntime, moduleUrl: pathToFileURL(jsModule).href } : null;
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
  const base = execArgv ?? [];
  const compiled = compiledCounterparts(runtime, moduleUrl);
  if (compiled) return { runtimePath: compiled.runtime, moduleUrl: compiled.moduleUrl, exportName, execArgv: base };
  const needsTsx = isTypeScript(runtime) || isTypeScript(moduleUrl);
  const hasTsx = base.some((arg) => arg.includes('tsx'));
  return {
    runtimePath: runtime,
    moduleUrl,
    exportName,
    execArgv: needsTsx && !hasTsx ? ['--import', tsxLoader(), ...base] : base,
  };
}
