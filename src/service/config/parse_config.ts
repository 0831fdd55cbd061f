// From config text (YAML, or JSON, which YAML reads too) to a checked ServiceConfig, or ONE ConfigError naming the
// key path and the line. Order: syntax, ${ENV} substitution, the schema, then what the schema cannot see alone
// (cameras a process names, process names that collide, the built-in classes' own options).

import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { LineCounter, parseDocument } from 'yaml';
import type { z } from 'zod';
import { BUILTIN_CLASSES } from '../processes/builtin_classes.js';
import { ConfigError, formatPath, type ConfigErrorCode } from './config_error.js';
import { substituteDocument } from './env_substitution.js';
import { configSchema, TOP_LEVEL_KEYS, type ServiceConfig } from './schema.js';
import { SourceLines, type KeyPath } from './source_lines.js';

export interface ParsedConfig {
  config: ServiceConfig;
  /** For errors found later (class loading): the line of a key path. */
  lines: SourceLines;
  /** The file it came from; null for the built-in config or text. */
  file: string | null;
  /** User modules are found relative to this folder (the config file's, else the working directory). */
  baseDir: string;
  /** Values that came from environment variables whose names say they are secrets (…PASS…, …TOKEN…): redacted. */
  envSecrets: string[];
}

export interface ParseOptions {
  /** Shown in errors and used to find user modules; null for text that is not a file. */
  file?: string | null;
  env?: NodeJS.ProcessEnv;
  baseDir?: string;
}

const SECRET_VARIABLE = /PASS|PWD|SECRET|TOKEN|KEY|CRED|AUTH/i;

export function loadConfigFile(path: string, options: Omit<ParseOptions, 'file' | 'baseDir'> = {}): ParsedConfig {
  const file = resolve(path);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    const why =
      (err as NodeJS.ErrnoException).code === 'ENOENT'
        ? 'no such file'
        : ((err as NodeJS.ErrnoException).code ?? String(err));
    throw new ConfigError('CONFIG_NOT_FOUND', `cannot read the config file ${file} (${why})`, { file });
  }
  return parseConfigText(text, { ...options, file, baseDir: dirname(file) });
}

export function parseConfigText(text: string, options: ParseOptions = {}): ParsedConfig {
  const file = options.file ?? null;
  const env = options.env ?? process.env;
  const counter = new LineCounter();
  const doc = parseDocument(text, { lineCounter: counter, uniqueKeys: true });
  const syntax = doc.errors[0];
  if (syntax) {
    const line = syntax.linePos?.[0]?.line ?? null;
    const what = syntax.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '');
    throw new ConfigError('CONFIG_SYNTAX', `not valid YAML or JSON: ${what}`, { line, file });
  }
  const lines = new SourceLines(doc, counter);
  const fail = (code: ConfigErrorCode, path: KeyPath, what: string): never => {
    throw new ConfigError(code, what, { path: formatPath(path) || null, line: lines.lineOf(path), file });
  };
  if (doc.contents === null) fail('CONFIG_INVALID', [], 'the config is empty: it needs at least cameras and processes');

  const used = substituteDocument(doc, env, lines, file);
  const envSecrets = [...used]
    .filter(([name, value]) => SECRET_VARIABLE.test(name) && value !== '')
    .map(([, value]) => value);

  const data: unknown = doc.toJS();
  if (typeof data !== 'object' || data === null || Array.isArray(data))
    fail('CONFIG_INVALID', [], 'the config must be a mapping with at least cameras and processes');
  const result = configSchema.safeParse(data);
  if (!result.success) {
    const { code, path, what } = describeIssue(pickFirst(result.error.issues, lines), data);
    fail(code, path, what);
  }
  const config = result.data!;
  checkReferences(config, fail);
  return { config, lines, file, baseDir: options.baseDir ?? process.cwd(), envSecrets };
}

/** The issue that comes first in the file, so that fixing errors top to bottom works. */
function pickFirst(issues: readonly z.core.$ZodIssue[], lines: SourceLines): z.core.$ZodIssue {
  let best = issues[0]!;
  let bestLine = Infinity;
  for (const issue of issues) {
    const line = lines.lineOf(issuePath(issue)) ?? Infinity;
    if (line < bestLine) {
      best = issue;
      bestLine = line;
    }
  }
  return best;
}

function issuePath(issue: z.core.$ZodIssue): KeyPath {
  const path = issue.path as Array<string | number>;
  return issue.code === 'unrecognized_keys' ? [...path, issue.keys[0]!] : path;
}

function describeIssue(issue: z.core.$ZodIssue, data: unknown): { code: ConfigErrorCode; path: KeyPath; what: string } {
  const path = issuePath(issue);
  if (issue.code === 'unrecognized_keys') {
    const what = issue.path.length === 0 ? `unknown key (a config has ${TOP_LEVEL_KEYS.join(', ')})` : 'unknown key';
    return { code: 'CONFIG_UNKNOWN_KEY', path, what };
  }
  if (issue.code === 'invalid_key')
    return { code: 'CONFIG_INVALID', path, what: issue.issues[0]?.message ?? issue.message };
  if (issue.code === 'invalid_type' && valueAt(data, path) === undefined)
    return { code: 'CONFIG_INVALID', path, what: 'is required' };
  return { code: 'CONFIG_INVALID', path, what: issue.message };
}

function valueAt(data: unknown, path: KeyPath): unknown {
  let v: unknown = data;
  for (const part of path) {
    if (typeof v !== 'object' || v === null) return undefined;
    v = (v as Record<string | number, unknown>)[part];
  }
  return v;
}

function checkReferences(
  config: ServiceConfig,
  fail: (code: ConfigErrorCode, path: KeyPath, what: string) => never,
): void {
  const cameraNames = Object.keys(config.cameras);
  // A detector host (a master serving remote clients through NATS) may have no camera of its own.
  const servesRemote = config.processes.some(
    (g) => g.shape === 'client-master' && g.master.where === 'local' && g.master.serve_remote !== undefined,
  );
  if (cameraNames.length === 0 && !servesRemote)
    fail(
      'CONFIG_INVALID',
      ['cameras'],
      'must have at least one camera (or a master with serve_remote, for a detector host)',
    );
  const names = new Map<string, string>();
  const claim = (name: string, path: KeyPath) => {
    const other = names.get(name);
    if (other) fail('CONFIG_DUPLICATE_NAME', path, `gives a process the name '${name}', which ${other} already has`);
    names.set(name, formatPath(path));
  };
  const served = new Map<string, string>();
  config.processes.forEach((group, i) => {
    const groupPath = ['processes', i];
    (group.cameras ?? []).forEach((camera, j) => {
      if (!config.cameras[camera])
        fail(
          'CONFIG_UNKNOWN_CAMERA',
          [...groupPath, 'cameras', j],
          `'${camera}' is not a camera of this config (cameras: ${cameraNames.join(', ')})`,
        );
    });
    const cameras = group.cameras ?? cameraNames;
    if (group.shape === 'shared') {
      claim(group.name, [...groupPath, 'name']);
      checkBuiltinOptions(group.class, group.options, [...groupPath], fail);
    } else if (group.shape === 'per-camera') {
      for (const camera of cameras) claim(`${group.name}-${camera}`, [...groupPath, 'name']);
      checkBuiltinOptions(group.class, group.options, [...groupPath], fail);
    } else {
      const master = group.master;
      const serveRemote = master.where === 'local' ? master.serve_remote : undefined;
      if (cameras.length === 0 && serveRemote === undefined)
        fail(
          'CONFIG_INVALID',
          [...groupPath, 'cameras'],
          'must name at least one camera (leave it out for all cameras); only a master with serve_remote may have none',
        );
      if (cameras.length > 0 && !group.client)
        fail(
          'CONFIG_INVALID',
          [...groupPath, 'client'],
          `is required: the class of the clients of ${cameras.join(', ')} ({ class, options })`,
        );
      for (const camera of cameras) claim(`${group.name}-${camera}`, [...groupPath, 'name']);
      const byReference = group.forward?.by_reference === true;
      if (byReference && master.where === 'remote')
        fail(
          'CONFIG_INVALID',
          [...groupPath, 'forward', 'by_reference'],
          'a remote master gets copies of the frames over NATS: leave by_reference out, or make the master local',
        );
      if (byReference && Object.keys(group.forward!).some((k) => k !== 'by_reference'))
        fail(
          'CONFIG_INVALID',
          [...groupPath, 'forward'],
          "by_reference forwards the camera's frames as they are: leave width, height and slots out",
        );
      if (master.where === 'remote') {
        if (!config.nats)
          fail(
            'CONFIG_INVALID',
            [...groupPath, 'master', 'remote'],
            'a remote master is reached through NATS: add a nats: section (servers, credentials)',
          );
      } else {
        claim(`${group.name}-master`, [...groupPath, 'name']);
        checkBuiltinOptions(master.class, master.options, [...groupPath, 'master'], fail);
        if (serveRemote !== undefined) {
          const as = serveRemote === true ? group.name : serveRemote;
          if (!config.nats)
            fail(
              'CONFIG_INVALID',
              [...groupPath, 'master', 'serve_remote'],
              'remote clients come through NATS: add a nats: section (servers, credentials)',
            );
          const other = served.get(as);
          if (other)
            fail(
              'CONFIG_DUPLICATE_NAME',
              [...groupPath, 'master', 'serve_remote'],
              `serves remote clients as '${as}', which ${other} already does`,
            );
          served.set(as, formatPath([...groupPath, 'master']));
        }
      }
      if (group.client) checkBuiltinOptions(group.client.class, group.client.options, [...groupPath, 'client'], fail);
      // The built-in client forwards whole frames: a smaller forward ring would not hold them.
      const f = group.forward;
      if (group.client?.class === 'motion-client' && (f?.width !== undefined || f?.height !== undefined)) {
        for (const camera of cameras) {
          const c = config.cameras[camera]!;
          if ((f.width ?? c.width) !== c.width || (f.height ?? c.height) !== c.height) {
            fail(
              'CONFIG_INVALID',
              [...groupPath, 'forward'],
              `the built-in motion-client forwards whole frames: ` +
                `width and height must be the camera's (${camera} is ${c.width}x${c.height}); leave them out`,
            );
          }
        }
      }
    }
  });
}

function checkBuiltinOptions(
  ref: unknown,
  options: Record<string, unknown>,
  path: KeyPath,
  fail: (code: ConfigErrorCode, path: KeyPath, what: string) => never,
): void {
  if (typeof ref !== 'string') return; // a user's class checks its own options
  const result = BUILTIN_CLASSES[ref]!.options.safeParse(options);
  if (result.success) return;
  const issue = result.error.issues[0]!;
  const sub = issuePath(issue);
  const what = issue.code === 'unrecognized_keys' ? `unknown option of the built-in class ${ref}` : issue.message;
  fail(
    issue.code === 'unrecognized_keys' ? 'CONFIG_UNKNOWN_KEY' : 'CONFIG_INVALID',
    [...path, 'options', ...sub],
    what,
  );
}
