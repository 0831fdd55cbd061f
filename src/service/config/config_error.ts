// The one error a bad config gets: a stable code, and a message naming the key path and the line, e.g.
//   cameras.front.width: must be an integer 16–4096 (line 7)
// Messages never hold a credential: values are not echoed, only where they are and what they must be.
import { FrameringError } from '../../errors/index.js';

export type ConfigErrorCode =
  | 'CONFIG_NOT_FOUND' // the file does not exist or cannot be read
  | 'CONFIG_SYNTAX' // not valid YAML / JSON
  | 'CONFIG_INVALID' // a value of the wrong type or out of range, or a required key missing
  | 'CONFIG_UNKNOWN_KEY' // a key the config does not have (a typo, or a feature not there yet)
  | 'CONFIG_ENV_MISSING' // ${NAME} with NAME not set in the environment
  | 'CONFIG_UNKNOWN_CAMERA' // a process names a camera that is not in cameras
  | 'CONFIG_DUPLICATE_NAME' // two processes would get the same name
  | 'CONFIG_MODULE_NOT_FOUND' // a process class module that does not exist
  | 'CONFIG_MODULE_FAILED' // a process class module that exists but fails to load
  | 'CONFIG_CLASS_NOT_FOUND' // the module does not export that class
  | 'CONFIG_CLASS_INVALID' // the export is not a framering process class, or not one that fits its place
  | 'CONFIG_FLAG_INVALID'; // a command-line flag that overrides the config has a bad value

export class ConfigError extends FrameringError<ConfigErrorCode> {
  /** Key path, e.g. cameras.front.width or processes[1].class.export; null when the whole file is meant. */
  readonly path: string | null;
  /** 1-based line in the config file; null when unknown (built-in config, flags). */
  readonly line: number | null;
  readonly file: string | null;

  constructor(
    code: ConfigErrorCode,
    what: string,
    where: { path?: string | null; line?: number | null; file?: string | null } = {},
  ) {
    const path = where.path ?? null;
    const line = where.line ?? null;
    super(code, `${path ? `${path}: ` : ''}${what}${line ? ` (line ${line})` : ''}`);
    this.name = 'ConfigError';
    this.path = path;
    this.line = line;
    this.file = where.file ?? null;
  }
}

/** a.b[0].c from ['a', 'b', 0, 'c']. */
export function formatPath(path: ReadonlyArray<string | number>): string {
  let out = '';
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    else out += out === '' ? part : `.${part}`;
  }
  return out;
}
