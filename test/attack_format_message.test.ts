// Attack: a gray8 / bgr24 frame ring opened as a data ring: the refusal must name the ring's real format.
import { describe, expect, it } from 'vitest';
import { DataRingClient, FrameRingServer } from '../src/shm/index.js';

describe('attack: opening a frame ring of another pixel format as data', () => {
  for (const pixelFormat of ['gray8', 'bgr24'] as const) {
    it(`a ${pixelFormat} ring is refused with a message that says ${pixelFormat}, not RGB24`, () => {
      // The ring's name must not contain the format, or the message would contain it anyway.
      const name = `atk-fmt-${pixelFormat === 'gray8' ? 'g' : 'b'}-${process.pid}`;
      const server = new FrameRingServer({ name, width: 4, height: 4, pixelFormat });
      try {
        let caught: { code?: string; message?: string } | null = null;
        try {
          DataRingClient.open(server.name).close();
        } catch (err) {
          caught = err as { code?: string; message?: string };
        }
        expect(caught?.code).toBe('RING_INVALID');
        expect(caught?.message).toContain(pixelFormat);
      } finally {
        server.close();
      }
    });
  }
});
