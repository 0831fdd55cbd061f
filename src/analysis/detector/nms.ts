// Intersection over union and non-maximum suppression: detectors return several near-identical boxes for one
// object; NMS keeps the best-scoring one and drops the others that overlap it by more than a threshold.

export interface RectLike {
  x: number;
  y: number;
  width: number;
  height: number;
}

/** Intersection over union of two boxes (0 when either is empty). */
export function iou(a: RectLike, b: RectLike): number {
  const ix = Math.max(0, Math.min(a.x + a.width, b.x + b.width) - Math.max(a.x, b.x));
  const iy = Math.max(0, Math.min(a.y + a.height, b.y + b.height) - Math.max(a.y, b.y));
  const inter = ix * iy;
  const union = a.width * a.height + b.width * b.height - inter;
  return union > 0 ? inter / union : 0;
}

/**
 * Greedy NMS: highest score first; a box is dropped when it overlaps a kept box by more than `iouThreshold`.
 * `perClass` (default true) compares boxes of the same class only. Returns the kept items, best first.
 */
export function nonMaxSuppression<T extends { score: number; box: RectLike; classId: number }>(
  items: readonly T[],
  iouThreshold: number,
  options: { perClass?: boolean; maxResults?: number } = {},
): T[] {
  const perClass = options.perClass ?? true;
  const max = options.maxResults ?? Infinity;
  const sorted = [...items].sort((p, q) => q.score - p.score);
  const kept: T[] = [];
  for (const item of sorted) {
    if (kept.length >= max) break;
    let suppressed = false;
    for (const k of kept) {
      if (perClass && k.classId !== item.classId) continue;
      if (iou(k.box, item.box) > iouThreshold) {
        suppressed = true;
        break;
      }
    }
    if (!suppressed) kept.push(item);
  }
  return kept;
}
