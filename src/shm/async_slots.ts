/**
 * The slots a client's async reads take (frames(), messages(), pullAsync()). They ride the same native delivery as a
 * handler (the doorbell, or the waiter thread), never a poll: the native side takes the next slot only when a
 * consumer asks for one, so at most one slot waits here between consumers (taken when a consumer had just given up).
 */
import { onAbort } from './abort_listeners.js';
import { abortedError } from './aborted.js';
import { RingError } from './ring_error.js';
import type { TakenSlot } from './ring_client.js';

/** What the queue needs from its client. */
export interface SlotDelivery {
  /** Starts the client's delivery; onSlot's promise settles when the native side may take the next slot. */
  start(onSlot: (slot: TakenSlot) => Promise<void>): void;
  /** Takes a slot on this thread while the native side waits for that promise (or before the start), or null. */
  takeBetweenDeliveries(): TakenSlot | null;
  /** Gives a slot back (a kept `latest` slot that a newer one replaces). */
  release(slot: TakenSlot): void;
  /** 'latest' clients want the newest slot when a consumer asks, not one kept from before. */
  readonly newestOnly: boolean;
}

/** A step of a loop: a slot, null (timed out), or 'end' (the writer closed the ring, or this client closed). */
export type SlotStep = TakenSlot | null | 'end';

interface Waiter {
  resolve(step: SlotStep): void;
  reject(err: Error): void;
}

export class AsyncSlots {
  private started = false;
  /** A slot taken while no consumer waited: the next consumer gets it. */
  private kept: TakenSlot | null = null;
  /** Lets the native side take the next slot; null while it is waiting for one (or before the start). */
  private resumeDelivery: (() => void) | null = null;
  private waiter: Waiter | null = null;
  private endError: RingError | null = null;
  private endedCleanly = false;

  constructor(
    private readonly name: string,
    private readonly delivery: SlotDelivery,
  ) {}

  /** Starts the native delivery now (onFrame's conflict is then reported at once). */
  start(): void {
    if (this.started) return;
    this.delivery.start((slot) => this.onSlot(slot));
    this.started = true;
  }

  /** The next slot. Rejects ABORTED (signal), WRITER_GONE (the writer died) and INVALID_ARGUMENT (a second waiter). */
  take(opts: { signal?: AbortSignal; timeoutMs?: number } = {}): Promise<SlotStep> {
    const { signal, timeoutMs } = opts;
    if (this.waiter)
      return Promise.reject(
        new RingError(
          'INVALID_ARGUMENT',
          `ring '${this.name}' is already awaited by another loop or pullAsync(); one at a time per client`,
        ),
      );
    if (signal?.aborted) return Promise.reject(abortedError(`reading ring '${this.name}'`));
    if (this.kept) return Promise.resolve(this.takeKept());
    if (this.endError) {
      // The writer went while no consumer waited: what the native side had not taken yet is still in the ring.
      const left = this.nativeIdle ? this.delivery.takeBetweenDeliveries() : null;
      if (left) return Promise.resolve(left);
      return this.endedCleanly ? Promise.resolve('end') : Promise.reject(this.endError);
    }
    return new Promise<SlotStep>((resolve, reject) => {
      let timer: NodeJS.Timeout | undefined;
      let forgetAbort: (() => void) | undefined;
      const settle = (): void => {
        if (timer) clearTimeout(timer);
        forgetAbort?.();
        this.waiter = null;
      };
      const aborted = (): void => {
        settle();
        reject(abortedError(`reading ring '${this.name}'`));
      };
      this.waiter = {
        resolve: (step) => {
          settle();
          resolve(step);
        },
        reject: (err) => {
          settle();
          reject(err);
        },
      };
      if (signal) forgetAbort = onAbort(signal, aborted);
      if (timeoutMs !== undefined) timer = setTimeout(() => this.waiter?.resolve(null), timeoutMs);
      try {
        this.askForNext();
      } catch (err) {
        this.waiter.reject(err as Error);
      }
    });
  }

  /** Why reading ended ('end' steps): the writer closed the ring (WRITER_GONE) or this client closed (CLOSED). */
  get ending(): RingError | null {
    return this.endError;
  }

  /** The writer is gone: a waiting consumer learns it now; later ones after what is left in the ring. */
  end(err: RingError, cleanly: boolean): void {
    if (this.endError) return;
    this.endError = err;
    this.endedCleanly = cleanly;
    if (this.waiter) {
      if (cleanly) this.waiter.resolve('end');
      else this.waiter.reject(err);
    }
  }

  /** The client closed: its holds are gone, the kept slot with them; every later take ends. */
  close(err: RingError): void {
    this.kept = null;
    this.resumeDelivery = null;
    this.endError = err;
    this.endedCleanly = true;
    this.waiter?.resolve('end');
  }

  /** No native take can be in flight: delivery not started, or waiting for our promise. */
  private get nativeIdle(): boolean {
    return !this.started || this.resumeDelivery !== null;
  }

  /** The kept slot, or for `latest` a newer one that came since (the kept one then goes back). */
  private takeKept(): TakenSlot {
    const kept = this.kept!;
    this.kept = null;
    if (!this.delivery.newestOnly) return kept;
    const newer = this.delivery.takeBetweenDeliveries(); // the native side waits for our promise: safe here
    if (!newer) return kept;
    this.delivery.release(kept);
    return newer;
  }

  private askForNext(): void {
    if (!this.started) {
      this.start();
      return;
    }
    const resume = this.resumeDelivery;
    this.resumeDelivery = null;
    resume?.();
  }

  private onSlot(slot: TakenSlot): Promise<void> {
    if (this.waiter) this.waiter.resolve(slot);
    else this.kept = slot;
    return new Promise<void>((resolve) => {
      this.resumeDelivery = resolve;
    });
  }
}
