// main1, main2 and main3 end to end on the built-in synthetic cameras: real ffmpeg, real forked processes, real
// shared memory. Each runs a few seconds with --duration and --json; the last line of its output is checked.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  expectCamerasStreamed,
  expectCleanRun,
  expectSnapshots,
  expectSources,
  processNamed,
} from './fixtures/examples/check_run.js';
import { runExample, segmentsOf, type ExampleRun } from './fixtures/examples/run_example.js';

const W = 320;
const H = 240;
const base = mkdtempSync(join(tmpdir(), 'framering-examples-'));
afterAll(() => rmSync(base, { recursive: true, force: true }));

function args(out: string, duration = 4): string[] {
  return [
    '--width',
    String(W),
    '--height',
    String(H),
    '--fps',
    '10',
    '--duration',
    String(duration),
    '--out',
    out,
    '--json',
    '--snapshot-interval',
    '1',
  ];
}

describe('examples on synthetic cameras', { timeout: 120_000 }, () => {
  it('main1: both cameras reach the one RGB24Process, which finds motion and writes snapshots', async () => {
    const out = join(base, 'main1');
    const json = expectCleanRun(await runExample('main1', args(out)));
    expectCamerasStreamed(json, ['cam0', 'cam1']);
    expect(json.processes.map((p) => p.name)).toEqual(['rgb']);
    const rgb = processNamed(json, 'rgb');
    expectSources(rgb, ['cam0', 'cam1']);
    expect(rgb.motionFrames).toBeGreaterThan(0); // testsrc2 and testsrc move
    expect(rgb.boxes).toBeGreaterThan(0);
    expect(rgb.snapshots).toBeGreaterThanOrEqual(2);
    await expectSnapshots(out, ['cam0', 'cam1'], W, H);
  });

  it('main2: each camera reaches its own process and no other', async () => {
    const out = join(base, 'main2');
    const run = await runExample('main2', args(out));
    const json = expectCleanRun(run);
    expectCamerasStreamed(json, ['cam0', 'cam1']);
    expect(json.processes.map((p) => p.name)).toEqual(['rgb-cam0', 'rgb-cam1']);
    expectSources(processNamed(json, 'rgb-cam0'), ['cam0']);
    expectSources(processNamed(json, 'rgb-cam1'), ['cam1']);
    expect(new Set(json.processes.map((p) => p.pid)).size).toBe(2);
    await expectSnapshots(out, ['cam0', 'cam1'], W, H);
    // The plain (non-TTY) status line came out while it ran.
    expect(run.stderr).toMatch(/cam0 [\d.]+ fps \d+ drop/);
  });

  it('main3: clients forward motion to the master, and its replies come back to the right client', async () => {
    const out = join(base, 'main3');
    const json = expectCleanRun(await runExample('main3', [...args(out, 5), '--detector', 'blobs']));
    expectCamerasStreamed(json, ['cam0', 'cam1']);
    expect(json.processes.map((p) => p.name)).toEqual(['master', 'client-cam0', 'client-cam1']);
    const master = processNamed(json, 'master');
    expectSources(master, ['client-cam0', 'client-cam1']);
    let received = 0;
    for (const cam of ['cam0', 'cam1']) {
      const client = processNamed(json, `client-${cam}`);
      expectSources(client, [cam]);
      expect(client.forwarded).toBeGreaterThan(0);
      expect(client.replies, `replies to client-${cam}`).toBeGreaterThan(0);
      expect(client.misrouted).toBe(0); // every reply named this client
      expect(client.replies).toBeLessThanOrEqual(master.sources[`client-${cam}`]!);
      received += client.replies;
    }
    expect(received).toBeLessThanOrEqual(master.replies);
    await expectSnapshots(out, ['cam0', 'cam1'], W, H);
  });

  it.each(['SIGINT', 'SIGTERM'] as const)(
    'main3 stops cleanly on %s: summary, JSON, nothing left in /dev/shm',
    async (signal) => {
      const out = join(base, `signal-${signal}`);
      const run = await runExample(
        'main3',
        ['--detector', 'blobs', '--width', String(W), '--height', String(H), '--fps', '10', '--out', out, '--json'],
        {
          signalAfterMs: { signal, ms: 8000 },
        },
      );
      expect(run.signal).toBeNull();
      const json = expectCleanRun(run);
      expect(run.stderr).toContain(`stopping (${signal === 'SIGINT' ? 'Ctrl-C' : 'SIGTERM'})`);
      expect(json.processes).toHaveLength(3);
      expect(segmentsOf(run)).toEqual([]);
    },
  );

  it(
    'main3 stops cleanly on Ctrl-C to its whole process ' + 'group: ffmpeg waits for the orderly stop, no restart',
    async () => {
      const out = join(base, 'signal-group');
      const run = await runExample(
        'main3',
        ['--detector', 'blobs', '--width', String(W), '--height', String(H), '--fps', '10', '--out', out, '--json'],
        {
          signalAfterMs: { signal: 'SIGINT', ms: 8000, toGroup: true },
        },
      );
      expect(run.signal).toBeNull();
      const json = expectCleanRun(run);
      expect(run.stderr).toContain('stopping (Ctrl-C)');
      for (const c of json.cameras) {
        expect(c.restarts, `${c.name} restarts`).toBe(0);
        expect(c.lastError, `${c.name} last error`).toBeUndefined();
      }
      expect(json.processes).toHaveLength(3);
      for (const p of json.processes) expect(p.exited, `${p.name}`).toBeUndefined();
    },
  );
});

describe('a process that dies', { timeout: 120_000 }, () => {
  it(
    'main3 with a client killed by SIGKILL: the example ' + 'stops, reports it (exit 1), and removes its rings',
    async () => {
      const out = join(base, 'crash');
      let killed = 0;
      const run: ExampleRun = await runExample(
        'main3',
        [
          '--detector',
          'blobs',
          '--width',
          String(W),
          '--height',
          String(H),
          '--fps',
          '10',
          '--duration',
          '30',
          '--out',
          out,
          '--json',
        ],
        {
          during: async (pid, stderr) => {
            // Kill the client once the example runs and has polled its processes (their pids are then in the summary).
            for (let i = 0; i < 120 && !killed; i++) {
              await new Promise((r) => setTimeout(r, 500));
              if (!/client-cam1 \d+ fr/.test(stderr())) continue;
              killed = Number(
                execFileSync('pgrep', ['-P', String(pid), '-f', '^framering:client-cam1$'], { encoding: 'utf8' })
                  .trim()
                  .split('\n')[0],
              );
              process.kill(killed, 'SIGKILL');
            }
          },
        },
      );
      expect(killed).toBeGreaterThan(0);
      expect(run.code, run.stderr).toBe(1);
      expect(run.stderr).toContain('process client-cam1 killed by SIGKILL; stopping');
      // the rings the killed client could not close were removed by the process layer, which says so
      expect(run.stderr).toMatch(/removed the rings client-cam1 left: \S+/);
      const json = run.json!;
      const client = json.processes.find((p) => p.name === 'client-cam1')!;
      expect(client.exited).toBe('killed by SIGKILL');
      expect(client.pid).toBe(killed);
      expect(json.processes.find((p) => p.name === 'client-cam0')!.exited).toBeUndefined();
      expect(segmentsOf(run)).toEqual([]);
    },
  );
});
