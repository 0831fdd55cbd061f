// Where a key path is in the config text: the yaml package keeps source offsets on every node, and a LineCounter
// turns an offset into a line. A path that does not exist (a missing key) points at the nearest parent that does.

import { isMap, isPair, isScalar, isSeq, type Document, type LineCounter, type Node } from 'yaml';

export type KeyPath = ReadonlyArray<string | number>;

export class SourceLines {
  constructor(
    private readonly doc: Document | null,
    private readonly counter: LineCounter | null,
  ) {}

  /** The 1-based line of the key (or item) at `path`; null without a source (built-in config). */
  lineOf(path: KeyPath): number | null {
    if (!this.doc || !this.counter) return null;
    let node: unknown = this.doc.contents;
    let offset = rangeStart(node) ?? 0;
    for (const part of path) {
      if (isMap(node)) {
        const pair = node.items.find((p) => isPair(p) && keyText(p.key) === String(part));
        if (!pair) break;
        offset = rangeStart(pair.key) ?? offset;
        node = pair.value;
      } else if (isSeq(node) && typeof part === 'number' && part < node.items.length) {
        node = node.items[part];
        offset = rangeStart(node) ?? offset;
      } else {
        break;
      }
    }
    return this.counter.linePos(offset).line;
  }
}

function keyText(key: unknown): string | null {
  if (isScalar(key)) return String(key.value);
  return null;
}

function rangeStart(node: unknown): number | null {
  const range = (node as Node | null)?.range;
  return Array.isArray(range) ? range[0] : null;
}
