/** What a reader learns about each slot it takes, besides the bytes. */
export interface SlotMeta {
  /** Position in the writer's sequence: 1, 2, 3… with gaps where this reader missed frames. */
  seq: number;
  width: number;
  height: number;
  /** Bytes in use in the slot. */
  bytes: number;
  /** Wall-clock microseconds (CLOCK_REALTIME) at commit, unless the writer set it. */
  timestampUs: number;
  frameNumber: number;
  /** The writer's source id: camera index, client index… */
  slotId: number;
}
