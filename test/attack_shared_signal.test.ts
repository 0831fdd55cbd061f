// Attack: one AbortSignal for a whole application (the README's pattern) shared by the loops of many clients.
import { describe, expect, it } from 'vitest';
import { FrameRingClient, FrameRingServer } from '../src/shm/index.js';

describe('attack: one signal shared by many loops', () => {
  it('16 frames() loops on one signal raise no MaxListenersExceededWarning', async () => {
    const warnings: string[] = [];
    const onWarning = (w: Error) => warnings.push(`${w.name}: ${w.message}`);
    process.on('warning', onWarning);
    const server = new FrameRingServer({ name: `atk-sig-${process.pid}`, width: 8, height: 8, slots: 8 });
    const ac = new AbortController();
    const clients = Array.from({ length: 16 }, () => FrameRingClient.open(server.name, { policy: 'every' }));
    try {
      const loops = clients.map(async (c) => {
        try {
          for await (const frame of c.frames({ signal: ac.signal })) void frame;
        } catch (err) {
          return (err as { code?: string }).code;
        }
        return 'end';
      });
      for (let i = 0; i < 5; i++) {
        server.write(new Uint8Array(server.frameBytes));
        await new Promise((r) => setTimeout(r, 10));
      }
      ac.abort();
      expect(new Set(await Promise.all(loops))).toEqual(new Set(['ABORTED']));
      await new Promise((r) => setImmediate(r)); // warnings are emitted on the next tick
      expect(warnings.filter((w) => w.startsWith('MaxListenersExceededWarning'))).toEqual([]);
    } finally {
      process.off('warning', onWarning);
      for (const c of clients) c.close();
      server.close();
    }
  });
});
