// ${NAME} in a config's values is replaced by the environment variable NAME (so passwords stay out of the file);
// $${ stands for a literal ${. A variable that is not set is an error naming it: a camera URL with an empty
// password would only fail later, and less clearly. Substitution works on the parsed values, so a value with
// YAML's special characters cannot break the file; a plain (unquoted) value that is only ${NAME} is read again as
// YAML, so `port: ${PORT}` is a number.

import { isMap, isScalar, isSeq, parse, Scalar, type Document } from 'yaml';
import { ConfigError, formatPath } from './config_error.js';
import type { KeyPath, SourceLines } from './source_lines.js';

const REFERENCE = /\$\$\{|\$\{([^}]*)\}/g;
const VAR_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const WHOLE_REFERENCE = /^\$\{[A-Za-z_][A-Za-z0-9_]*\}$/;

/** The variables used and their values (the caller decides which are secrets). */
export type UsedVariables = Map<string, string>;

export function substituteText(
  text: string,
  env: NodeJS.ProcessEnv,
  used: UsedVariables,
  where: () => { path: string; line: number | null },
): string {
  return text.replace(REFERENCE, (match, name: string | undefined) => {
    if (match === '$${') return '${';
    if (name === undefined || !VAR_NAME.test(name)) {
      throw new ConfigError(
        'CONFIG_INVALID',
        `'\${${name ?? ''}}' is not a variable reference: ` +
          `use \${NAME} with letters, digits and _ (write $\${ for a literal \${)`,
        where(),
      );
    }
    const value = env[name];
    if (value === undefined)
      throw new ConfigError(
        'CONFIG_ENV_MISSING',
        `environment variable ${name} is not set (used as \${${name}})`,
        where(),
      );
    used.set(name, value);
    return value;
  });
}

/** Substitutes in every value scalar of the document, in place. */
export function substituteDocument(
  doc: Document,
  env: NodeJS.ProcessEnv,
  lines: SourceLines,
  file: string | null,
): UsedVariables {
  const used: UsedVariables = new Map();
  const walk = (node: unknown, path: KeyPath): void => {
    if (isMap(node)) {
      for (const pair of node.items) {
        const key = isScalar(pair.key) ? String(pair.key.value) : '?';
        walk(pair.value, [...path, key]);
      }
    } else if (isSeq(node)) {
      node.items.forEach((item, i) => {
        walk(item, [...path, i]);
      });
    } else if (isScalar(node) && typeof node.value === 'string' && node.value.includes('${')) {
      const original = node.value;
      const where = () => ({ path: formatPath(path), line: lines.lineOf(path), file });
      const text = substituteText(original, env, used, where);
      node.value = node.type === Scalar.PLAIN && WHOLE_REFERENCE.test(original) ? reparse(text) : text;
    }
  };
  walk(doc.contents, []);
  return used;
}

/** A plain scalar read as YAML would read it (number, boolean, null, text); never a structure. */
function reparse(text: string): unknown {
  try {
    const value: unknown = parse(text);
    return value === null || typeof value !== 'object' ? value : text;
  } catch {
    return text;
  }
}
