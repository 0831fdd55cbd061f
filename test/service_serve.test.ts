// framering serve for real: real ffmpeg, forked processes, shared memory. The service in this process
// (startService, the ServiceView the HTTP side reads) and `framering serve` as a child process (the CLI, signals,
// the events file), each bounded in time; nothing may stay in /dev/shm.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { listSegments } from '../src/shm/index.js';
import { DEFAULT_CONFIG_YAML, parseConfigText } from '../src/service/config/index.js';
import { startService, type Service } from '../src/service/service.js';
import type { FrameringEvent } from '../src/service/service_view.js';
import { exited } from './support/child_script.js';
import { makePanningVideo } from './fixtures/detector/panning_video.js';
import { until } from './support/wait.js';

const REPO = fileURLToPath(new URL('..', import.meta.url));
const FIXTURE = fileURLToPath(new URL('./fixtures/service/brightness_process.ts', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'framering-serve-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/**
 * The built-in topology (motion clients, the object-detector master) with cam1 a looping video of the astronaut photo
 * panned a little (test photos hold people; test patterns hold no COCO object).
 */
function defaultWithPerson(): string {
  const video = makePanningVideo('astronaut', dir, 8);
  return DEFAULT_CONFIG_YAML.replace(
    / {2}cam1:\n {4}source: synthetic:\/\/testsrc\n/,
    `  cam1:\n    source: ${JSON.stringify(video)}\n`,
  );
}

let running: Service | null = null;
const children: ChildProcess[] = [];
afterEach(async () => {
  await running?.stop();
  running = null;
  for (const c of children.splice(0)) {
    c.kill('SIGKILL');
    await exited(c);
  }
});

function segmentsOf(pid: number): string[] {
  return listSegments()
    .filter((s) => s.name.startsWith(`svc${pid}-`))
    .map((s) => s.segment);
}

/** A port nothing listens on: a dead camera. */
async function deadPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  await new Promise((r) => server.close(r));
  return port;
}

describe('the service in this process (ServiceView)', { timeout: 120_000 }, () => {
  it(
    'built-in topology: motion events from the clients, the ' +
      'object detector finds the person, stats per camera and process',
    async () => {
      const yaml = defaultWithPerson();
      expect(yaml).toMatch(/astronaut-pan\.mp4/);
      running = await startService(parseConfigText(yaml, { baseDir: dir }), { log: () => {} });
      const svc = running;
      const events: FrameringEvent[] = [];
      svc.on('event', (e: FrameringEvent) => events.push(e));
      expect(svc.cameras().map((c) => [c.name, c.width, c.height])).toEqual([
        ['cam0', 640, 360],
        ['cam1', 640, 360],
      ]);
      for (const c of svc.cameras()) expect(existsSync(`/dev/shm/framering-${c.ring}`)).toBe(true);

      const kinds = (kind: string, camera: string) => events.filter((e) => e.kind === kind && e.camera === camera);
      await until(
        'motion events from both cameras, a person on cam1',
        () => ['cam0', 'cam1'].every((c) => kinds('motion', c).length > 2) && kinds('objects', 'cam1').length > 0,
        60_000,
      );
      const motion = kinds('motion', 'cam0')[0]!;
      expect(motion.source).toBe('detect-cam0');
      expect(motion.objects).toEqual([]);
      expect(motion.data?.changed).toBeGreaterThan(0);
      expect(Math.abs(motion.timestamp - Date.now())).toBeLessThan(60_000);
      const objects = kinds('objects', 'cam1')[0]!;
      expect(objects.source).toBe('detect-master'); // the master names the client; the service names the camera
      const person = objects.objects.find((o) => o.label === 'person');
      expect(person, JSON.stringify(objects.objects)).toMatchObject({
        box: { x: expect.any(Number), y: expect.any(Number), width: expect.any(Number), height: expect.any(Number) },
      });
      expect(person!.score).toBeGreaterThanOrEqual(0.4);
      // The config's minScore (0.4) reaches the detector in the forked master, not only the frontend's copy.
      expect(
        kinds('objects', 'cam1')
          .flatMap((e) => e.objects.map((o) => o.score))
          .every((s) => s >= 0.4),
      ).toBe(true);
      // test pattern
      expect(kinds('objects', 'cam0').every((e) => !e.objects.some((o) => o.label === 'person'))).toBe(true);

      // Rates need two polls a second apart.
      const stats = await until('fps in every stat', () => {
        const s = svc.stats();
        const ok =
          Object.values(s.cameras).every((c) => c.camera_fps > 0 && c.process_fps > 0 && c.detection_fps > 0) &&
          s.processes['detect-master']!.replies > 0;
        return ok ? s : null;
      });
      for (const name of ['cam0', 'cam1']) {
        const c = stats.cameras[name]!;
        expect(c.state).toBe('streaming');
        expect(c.frames).toBeGreaterThan(0);
        expect(c.last_error).toBeNull();
      }
      expect(Object.keys(stats.processes)).toEqual(['detect-cam0', 'detect-cam1', 'detect-master']);
      for (const p of Object.values(stats.processes)) {
        expect(p.state).toBe('running');
        expect(p.pid).toBeGreaterThan(0);
        expect(p.rss_bytes).toBeGreaterThan(10 * 1024 * 1024);
        expect(p.cpu_percent).toBeGreaterThanOrEqual(0);
        expect(p.frames).toBeGreaterThan(0);
      }
      expect(stats.processes['detect-cam0']!.replies).toBeGreaterThan(0);
      expect(stats.shm.free_bytes).toBeGreaterThan(0);
      expect(stats.shm.used_bytes).toBeGreaterThan(0);
      expect(stats.shm.slots_held).toBeGreaterThanOrEqual(0);
      expect(stats.service.pid).toBe(process.pid);

      const recent = svc.recentEvents(5);
      expect(recent).toHaveLength(5);
      expect(recent[4]).toBe(events[events.length - 1]);
      expect(svc.recentEvents(1_000_000).length).toBeLessThanOrEqual(1000);

      const pids = Object.values(stats.processes).map((p) => p.pid);
      await svc.stop();
      running = null;
      expect(segmentsOf(process.pid)).toEqual([]);
      expect(listSegments().filter((s) => pids.includes(s.writerPid))).toEqual([]);
    },
  );

  it(
    "a user's process class per camera beside the built-in " +
      'motion; a dead RTSP camera reconnects while the other streams',
    async () => {
      const port = await deadPort();
      const yaml = `cameras:
  live: { source: synthetic://testsrc2, width: 320, height: 240, fps: 10 }
  dead: { source: "rtsp://admin:\${DEAD_PASSWORD}@127.0.0.1:${port}/stream1", width: 320, height: 240, fps: 10 }
processes:
  - name: bright
    shape: per-camera
    class: { module: ${FIXTURE}, export: BrightnessProcess }
    options: { every: 2 }
  - name: motion
    class: motion
    cameras: [live]
`;
      const logs: string[] = [];
      running = await startService(parseConfigText(yaml, { env: { DEAD_PASSWORD: 'Dead-Pw-77' } }), {
        log: (l) => logs.push(l),
      });
      const svc = running;
      const events: FrameringEvent[] = [];
      svc.on('event', (e: FrameringEvent) => events.push(e));
      await until(
        'custom and motion events from the live camera',
        () =>
          events.some((e) => e.kind === 'custom' && e.source === 'bright-live') &&
          events.some((e) => e.kind === 'motion' && e.source === 'motion'),
      );
      const custom = events.find((e) => e.kind === 'custom')!;
      expect(custom.camera).toBe('live');
      expect(custom.frameNumber % 2).toBe(0);
      expect(typeof custom.data?.level).toBe('number');

      const stats = await until('the dead camera reconnecting, the live one analysed', () => {
        const s = svc.stats();
        return s.cameras.dead!.state === 'reconnecting' &&
          s.cameras.dead!.restarts > 0 &&
          s.cameras.live!.process_fps > 0
          ? s
          : null;
      });
      expect(stats.cameras.live!.state).toBe('streaming');
      expect(stats.cameras.live!.camera_fps).toBeGreaterThan(0);
      expect(stats.cameras.dead!.frames).toBe(0);
      expect(stats.cameras.dead!.last_error).toMatch(/127\.0\.0\.1/);
      expect(Object.keys(stats.processes)).toEqual(['bright-live', 'bright-dead', 'motion']);
      expect(stats.processes['bright-dead']!.state).toBe('running');
      expect(events.every((e) => e.camera === 'live')).toBe(true);

      // The password never leaves: not in stats, events, the config view, the cameras' view or a log line.
      const everything = JSON.stringify([
        svc.stats(),
        svc.recentEvents(1000),
        svc.redactedConfig(),
        svc.cameras(),
        logs,
      ]);
      expect(everything).not.toContain('Dead-Pw-77');
      expect(JSON.stringify(svc.redactedConfig())).toContain('rtsp://***@127.0.0.1');
      expect(logs.some((l) => l.includes('camera dead:'))).toBe(true);

      await svc.stop();
      running = null;
      expect(segmentsOf(process.pid)).toEqual([]);
    },
  );
});

describe('framering serve as a child process', { timeout: 120_000 }, () => {
  async function serve(
    args: string[],
  ): Promise<{ child: ChildProcess; url: string; stderr: () => string; eventsFile: string }> {
    const eventsFile = join(dir, `events-${Date.now()}.jsonl`);
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', 'src/service/cli.ts', 'serve', '--port', '0', '--events-jsonl', eventsFile, ...args],
      {
        cwd: REPO,
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    children.push(child);
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    const url = await until(
      'the URL to open',
      () =>
        /framering: open (http:\/\/\S+)/.exec(stdout)?.[1] ?? (child.exitCode !== null ? `exited: ${stderr}` : null),
      45_000,
    );
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
    return { child, url, stderr: () => stderr, eventsFile };
  }

  function eventsIn(file: string): FrameringEvent[] {
    if (!existsSync(file)) return [];
    return readFileSync(file, 'utf8')
      .split('\n')
      .filter((l) => l.trim() !== '')
      .map((l) => JSON.parse(l) as FrameringEvent);
  }

  async function sigterm(child: ChildProcess, stderr: () => string): Promise<void> {
    child.kill('SIGTERM');
    const { code, signal } = await exited(child);
    expect(signal).toBeNull();
    expect(code).toBe(0);
    expect(stderr()).toMatch(/stopping \(SIGTERM\)[\s\S]*stopped/);
    expect(stderr()).not.toMatch(/left in \/dev\/shm/);
    expect(segmentsOf(child.pid!)).toEqual([]);
  }

  it(
    'built-in config: prints the URL, answers /healthz, writes ' +
      'motion events, the detector replies, SIGTERM stops it clean',
    async () => {
      const { child, url, stderr, eventsFile } = await serve([]);
      const health = await fetch(new URL('healthz', url));
      expect(health.status).toBe(200);
      expect(await health.json()).toMatchObject({ status: 'ok', cameras: 2 });
      await until('motion events in the file', () => {
        const e = eventsIn(eventsFile);
        return (
          e.some((x) => x.kind === 'motion' && x.camera === 'cam0') &&
          e.some((x) => x.kind === 'motion' && x.camera === 'cam1')
        );
      });
      // The object detector (test patterns hold nothing it knows) answers every client it got frames from.
      await until(
        'the detector master replies',
        async () => {
          const s = (await (await fetch(new URL('api/stats', url))).json()) as {
            processes: Record<string, { replies: number; state: string }>;
          };
          return s.processes['detect-master']?.state === 'running' && s.processes['detect-master']!.replies > 0;
        },
        60_000,
      );
      await sigterm(child, stderr);
      children.splice(children.indexOf(child), 1);
    },
  );

  it("a config with a user's process class: its events come out", async () => {
    const file = join(dir, 'mine.yaml');
    writeFileSync(
      file,
      `cameras:\n  yard: { source: synthetic://testsrc, width: 320, height: 240, fps: 10 }\n` +
        `processes:\n  - name: mine\n    class: { module: ${FIXTURE}, export: BrightnessProcess }\n`,
    );
    const { child, stderr, eventsFile } = await serve(['--config', file]);
    await until(
      'custom events from the user class',
      () =>
        eventsIn(eventsFile).filter((e) => e.kind === 'custom' && e.source === 'mine' && e.camera === 'yard').length >=
        3,
    );
    await sigterm(child, stderr);
    children.splice(children.indexOf(child), 1);
  });
});
