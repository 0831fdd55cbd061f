/**
 * One Server-Sent Events subscriber. Messages are written while the socket has less than `maxBufferedBytes`
 * waiting; past that they are dropped (and counted, and the next message delivered says how many), so a slow
 * reader costs at most that much memory. One that takes nothing for `stallTimeoutMs` is disconnected.
 */
import type { ServerResponse } from 'node:http';

export class SseClient {
  dropped = 0;
  private droppedUnreported = 0;
  private behindSinceMs: number | null = null;
  private closed = false;
  private readonly heartbeat: NodeJS.Timeout;

  constructor(
    private readonly res: ServerResponse,
    private readonly onClose: (c: SseClient) => void,
    private readonly maxBufferedBytes = 256 * 1024,
    private readonly stallTimeoutMs = 30_000,
  ) {
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache, no-store',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
    });
    res.write('retry: 2000\n\n');
    res.on('close', () => this.close());
    this.heartbeat = setInterval(() => this.write(': keep-alive\n\n', true), 15_000);
    this.heartbeat.unref();
  }

  get buffered(): number {
    return this.res.writableLength + (this.res.socket?.writableLength ?? 0);
  }

  send(event: string | null, data: unknown): void {
    let text = '';
    if (this.droppedUnreported > 0) {
      text += `event: dropped\ndata: ${JSON.stringify({ dropped: this.droppedUnreported })}\n\n`;
    }
    text += `${event ? `event: ${event}\n` : ''}data: ${JSON.stringify(data)}\n\n`;
    if (this.write(text, false)) this.droppedUnreported = 0;
  }

  private write(text: string, optional: boolean): boolean {
    if (this.closed) return false;
    const now = Date.now();
    if (this.buffered + text.length > this.maxBufferedBytes) {
      if (!optional) {
        this.dropped++;
        this.droppedUnreported++;
      }
      this.behindSinceMs ??= now;
      if (now - this.behindSinceMs > this.stallTimeoutMs) this.res.destroy();
      return false;
    }
    this.behindSinceMs = null;
    this.res.write(text);
    return true;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.heartbeat);
    if (!this.res.destroyed) this.res.destroy();
    this.onClose(this);
  }
}
