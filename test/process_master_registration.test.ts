// A client that dies (kill -9) while a master registers it: registerClientProcess fails with CLIENT_GONE instead of
// hanging or leaving a half-registered client; the master frees its side (reader, reply ring), the client's rings
// are removed, and the master registers the next client as usual. Real processes and rings.

import { afterEach, describe, expect, it } from 'vitest';
import { stopInOrder, type ClientProcess, type MasterProcess } from '../src/process/index.js';
import { ForwardingClient } from './fixtures/process/forwarding_client.js';
import { HashingMaster } from './fixtures/process/hashing_master.js';
import { StallingClient, StallingMaster } from './fixtures/process/stalling_registration.js';
import { shmFiles, waitEvent, waitUntil } from './fixtures/process/test_helpers.js';

const tag = `preg${process.pid}`;
const clients: ClientProcess[] = [];
const masters: MasterProcess[] = [];
const forward = { width: 16, height: 8 };

afterEach(async () => {
  await stopInOrder(clients.splice(0), masters.splice(0));
});

async function started<T extends ClientProcess | MasterProcess>(p: T): Promise<T> {
  (p instanceof HashingMaster ? masters : clients).push(p as never);
  await p.start();
  return p;
}

/** The master holds nothing for any client, on either side, and none of its reply rings is left. */
async function expectMasterClean(
  master: MasterProcess & { backend: { clients(): Promise<string[]> } },
  client: ClientProcess,
): Promise<void> {
  expect(master.registeredClients()).toEqual([]);
  expect(await (master as HashingMaster).backend.clients()).toEqual([]);
  await waitUntil('the client rings to be removed', () => shmFiles(client.name).length === 0, 5000);
  expect(shmFiles(`${master.name}-`)).toEqual([]);
}

/** After a failed registration the master still works: a fresh client registers and gets replies. */
async function expectMasterStillServes(master: HashingMaster): Promise<void> {
  const next = await started(new ForwardingClient({ name: `${tag}-next${clients.length}`, forward }));
  await master.registerClientProcess(next);
  expect(master.registeredClients()).toEqual([next.name]);
}

async function killDuring(master: HashingMaster, client: ClientProcess, stallSource: HashingMaster | ClientProcess) {
  const stalled = waitEvent(stallSource, 'stalling');
  const goneEvents: unknown[] = [];
  master.on('client-gone', (e) => goneEvents.push(e));
  const registration = master.registerClientProcess(client).then(
    () => ({ code: 'RESOLVED', message: 'registration succeeded' }),
    (e: { code?: string; message: string }) => e,
  );
  await stalled;
  const t0 = Date.now();
  client.kill('SIGKILL');
  const err = await registration;
  return { err, ms: Date.now() - t0, goneEvents };
}

describe('a client dying mid-registration', () => {
  it('killed while the master attaches to it: CLIENT_GONE, nothing half-registered, rings cleaned', async () => {
    const master = await started(new StallingMaster({ name: `${tag}-ma`, stallAttachMs: 800 }));
    const client = await started(new ForwardingClient({ name: `${tag}-ca`, forward }));
    const { err, ms, goneEvents } = await killDuring(master, client, master);
    console.log(`[registration] killed during attach: rejected ${ms} ms after the kill`);
    expect(err).toMatchObject({
      code: 'CLIENT_GONE',
      message: expect.stringContaining(`client '${client.name}' went away while master '${master.name}'`),
    });
    expect(err.message).toContain('SIGKILL');
    await expectMasterClean(master, client);
    expect(goneEvents).toEqual([]); // it was never registered: the rejection is the report
    await expectMasterStillServes(master);
  });

  it('killed while it starts listening to its reply ring: CLIENT_GONE, the master frees the reply ring', async () => {
    const master = await started(new HashingMaster({ name: `${tag}-mb` }));
    const client = await started(new StallingClient({ name: `${tag}-cb`, forward, stallListenMs: 5000 }));
    const { err, ms, goneEvents } = await killDuring(master, client, client);
    console.log(`[registration] killed during listen: rejected ${ms} ms after the kill`);
    expect(err).toMatchObject({ code: 'CLIENT_GONE' });
    expect(ms).toBeLessThan(3000); // not the 5 s stall, not a call timeout
    await expectMasterClean(master, client);
    expect(goneEvents).toEqual([]);
    await expectMasterStillServes(master);
  });

  it(
    'killed at random moments of registration: either ' + 'registered (then reported gone) or CLIENT_GONE; never half',
    async () => {
      const master = await started(new HashingMaster({ name: `${tag}-mc` }));
      const outcomes: string[] = [];
      for (let i = 0; i < 5; i++) {
        const client = await started(new ForwardingClient({ name: `${tag}-cc${i}`, forward }));
        const gone = waitEvent(
          master,
          'client-gone',
          (e: { client: string }) => e.client === client.name,
          10_000,
        ).catch(() => null);
        const registration = master.registerClientProcess(client).then(
          () => 'registered',
          (e: { code?: string }) => e.code ?? 'no code',
        );
        await new Promise((r) => setTimeout(r, i * 4));
        client.kill('SIGKILL');
        const outcome = await registration;
        outcomes.push(outcome);
        expect(['registered', 'CLIENT_GONE']).toContain(outcome);
        if (outcome === 'registered') expect(await gone).toMatchObject({ client: client.name });
        await expectMasterClean(master, client);
      }
      console.log(`[registration] random kills: ${outcomes.join(', ')}`);
      await expectMasterStillServes(master);
    },
  );
});
