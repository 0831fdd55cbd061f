// framering serve's config: every mistake is ONE ConfigError with a code, the key path and the line; ${ENV}
// substitution; user process classes found (or not) before anything starts; --check redacts secrets.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import {
  ConfigError,
  DEFAULT_CONFIG_YAML,
  parseConfigText,
  type ConfigErrorCode,
} from '../src/service/config/index.js';
import { planTopology } from '../src/service/topology_plan.js';

const REPO = fileURLToPath(new URL('..', import.meta.url));
const FIXTURE = fileURLToPath(new URL('./fixtures/service/brightness_process.ts', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'framering-config-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function errorOf(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return err as ConfigError;
  }
  throw new Error('expected a ConfigError');
}

async function planError(yaml: string, env: NodeJS.ProcessEnv = {}): Promise<ConfigError> {
  try {
    await planTopology(parseConfigText(yaml, { env, baseDir: dir }));
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return err as ConfigError;
  }
  throw new Error('expected a ConfigError');
}

function expectError(err: ConfigError, code: ConfigErrorCode, path: string, line: number, what: RegExp): void {
  expect(err.code).toBe(code);
  expect(err.path).toBe(path);
  expect(err.line).toBe(line);
  expect(err.message).toMatch(what);
  expect(err.message.startsWith(`${path}: `)).toBe(true);
  expect(err.message.endsWith(`(line ${line})`)).toBe(true);
}

const PROCESSES = `processes:
  - name: motion
    class: motion
`;

describe('config errors name the key path and the line', () => {
  it('a value of the wrong type or out of range', () => {
    const yaml = `cameras:
  front:
    source: synthetic://testsrc2
    width: wide
${PROCESSES}`;
    expectError(
      errorOf(() => parseConfigText(yaml)),
      'CONFIG_INVALID',
      'cameras.front.width',
      4,
      /must be an integer 16–4096/,
    );
    const range = yaml.replace('width: wide', 'width: 640\n    fps: 0');
    expectError(
      errorOf(() => parseConfigText(range)),
      'CONFIG_INVALID',
      'cameras.front.fps',
      5,
      /above 0 and at most 60/,
    );
  });

  it('an unknown key, at the top (naming the keys a config has) and deeper', () => {
    const top =
      `cameras:\n  front: { source: synthetic://testsrc2 }\n` +
      `${PROCESSES}mqtt: { url: "mqtt://127.0.0.1" }\nwebhooks:\n  url: x\n`;
    expectError(
      errorOf(() => parseConfigText(top)),
      'CONFIG_UNKNOWN_KEY',
      'webhooks',
      7,
      /unknown key \(a config has cameras, processes, http, events, mqtt, nats\)/,
    );
    const deep = `cameras:\n  front:\n    source: synthetic://testsrc2\n    heigth: 200\n${PROCESSES}`;
    expectError(
      errorOf(() => parseConfigText(deep)),
      'CONFIG_UNKNOWN_KEY',
      'cameras.front.heigth',
      4,
      /unknown key/,
    );
  });

  it('a missing environment variable names the variable', () => {
    const yaml = `cameras:\n  front:\n    source: rtsp://admin:\${CAM_PASSWORD}@192.0.2.10/stream1\n${PROCESSES}`;
    const err = errorOf(() => parseConfigText(yaml, { env: {} }));
    expectError(err, 'CONFIG_ENV_MISSING', 'cameras.front.source', 3, /environment variable CAM_PASSWORD is not set/);
  });

  it('bad YAML syntax, and an empty file', () => {
    const err = errorOf(() => parseConfigText(`cameras:\n  front: { source: synthetic://testsrc2\n${PROCESSES}`));
    expect(err.code).toBe('CONFIG_SYNTAX');
    expect(err.line).toBeGreaterThanOrEqual(2);
    expect(err.message).toMatch(/^not valid YAML or JSON: .+ \(line \d+\)$/);
    expect(errorOf(() => parseConfigText('')).code).toBe('CONFIG_INVALID');
  });

  it('a process that names a camera the config does not have', () => {
    const yaml =
      `cameras:\n  front: { source: synthetic://testsrc2 }\nprocesses:\n` +
      `  - name: motion\n    class: motion\n    cameras:\n      - front\n      - back\n`;
    expectError(
      errorOf(() => parseConfigText(yaml)),
      'CONFIG_UNKNOWN_CAMERA',
      'processes[0].cameras[1]',
      8,
      /'back' is not a camera of this config \(cameras: front\)/,
    );
  });

  it('a missing key, a bad shape, a bad built-in option, colliding names', () => {
    const missing =
      `cameras:\n  front: { source: synthetic://testsrc2 }\nprocesses:\n` +
      `  - name: d\n    shape: client-master\n    client: { class: motion-client }\n`;
    expectError(
      errorOf(() => parseConfigText(missing)),
      'CONFIG_INVALID',
      'processes[0].master',
      4,
      /is required/,
    );
    const shape = `cameras:\n  front: { source: synthetic://testsrc2 }\nprocesses:\n  - name: d\n    shape: star\n`;
    expectError(
      errorOf(() => parseConfigText(shape)),
      'CONFIG_INVALID',
      'processes[0].shape',
      5,
      /must be shared, per-camera or client-master/,
    );
    const option =
      `cameras:\n  front: { source: synthetic://testsrc2 }\nprocesses:\n` +
      `  - name: m\n    class: motion\n    options:\n      threshold: 300\n`;
    expectError(
      errorOf(() => parseConfigText(option)),
      'CONFIG_INVALID',
      'processes[0].options.threshold',
      7,
      /must be an integer 1–255/,
    );
    const clash =
      `cameras:\n  a: { source: synthetic://testsrc2 }\nprocesses:\n` +
      `  - { name: m-a, class: motion }\n  - { name: m, shape: per-camera, class: motion }\n`;
    expect(errorOf(() => parseConfigText(clash)).code).toBe('CONFIG_DUPLICATE_NAME');
  });

  it("a user's module that is not there, a class it does not export, a class that does not fit its place", async () => {
    const base = `cameras:\n  front: { source: synthetic://testsrc2 }\nprocesses:\n  - name: mine\n    class:\n`;
    const missing = await planError(`${base}      module: ./nowhere.ts\n      export: Mine\n`);
    expectError(
      missing,
      'CONFIG_MODULE_NOT_FOUND',
      'processes[0].class.module',
      6,
      /cannot find the module \.\/nowhere\.ts/,
    );
    const notExported = await planError(`${base}      module: ${FIXTURE}\n      export: Brightness\n`);
    expectError(
      notExported,
      'CONFIG_CLASS_NOT_FOUND',
      'processes[0].class.export',
      7,
      /does not export Brightness \(process classes it exports: BrightnessProcess\)/,
    );
    const notAClass = await planError(`${base}      module: ${FIXTURE}\n      export: NotAProcess\n`);
    expectError(notAClass, 'CONFIG_CLASS_INVALID', 'processes[0].class.export', 7, /is not a framering process class/);
    const wrongPlace =
      `cameras:\n  front: { source: synthetic://testsrc2 }\nprocesses:\n  - name: d\n` +
      `    shape: client-master\n    client: { class: motion-client }\n` +
      `    master:\n      class: { module: ${FIXTURE}, export: BrightnessProcess }\n`;
    expectError(
      await planError(wrongPlace),
      'CONFIG_CLASS_INVALID',
      'processes[0].master.class',
      8,
      /is a RGB24Process, but the master of a client-master group needs a MasterProcess subclass/,
    );
  });

  it('JSON configs get the same errors and lines', () => {
    const json =
      `{\n  "cameras": {\n    "front": { "source": "synthetic://testsrc2", "height": 1.5 }\n` +
      `  },\n  "processes": [{ "name": "m", "class": "motion" }]\n}\n`;
    expectError(
      errorOf(() => parseConfigText(json)),
      'CONFIG_INVALID',
      'cameras.front.height',
      3,
      /must be an integer/,
    );
  });

  it('never echoes a secret value in an error', () => {
    const yaml =
      `cameras:\n  front:\n    source: rtsp://admin:s3cret-pw@192.0.2.10/stream1\n` +
      `    transport: quic\n${PROCESSES}`;
    const err = errorOf(() => parseConfigText(yaml));
    expectError(err, 'CONFIG_INVALID', 'cameras.front.transport', 4, /must be tcp or udp/);
    expect(err.message).not.toContain('s3cret-pw');
  });
});

describe('${ENV} substitution', () => {
  it('substitutes values, types a plain whole reference, keeps $${ as a literal ${', async () => {
    const yaml = `cameras:
  front:
    source: rtsp://\${CAM_USER}:\${CAM_PASS}@192.0.2.10/stream1
    width: \${WIDTH}
    height: \${HEIGHT}
${PROCESSES}http:
  token: $\${not-a-variable}
`;
    const parsed = parseConfigText(yaml, { env: { CAM_USER: 'admin', CAM_PASS: 'pa55', WIDTH: '320', HEIGHT: '240' } });
    expect(parsed.config.cameras.front!.source).toBe('rtsp://admin:pa55@192.0.2.10/stream1');
    expect(parsed.config.cameras.front!.width).toBe(320);
    expect(parsed.config.http.token).toBe('${not-a-variable}');
    expect(parsed.envSecrets).toEqual(['pa55']);
    // A quoted reference stays text: height must then be a number.
    expect(
      errorOf(() =>
        parseConfigText(yaml.replace('height: ${HEIGHT}', 'height: "${HEIGHT}"'), {
          env: { CAM_USER: 'a', CAM_PASS: 'b', WIDTH: '320', HEIGHT: '240' },
        }),
      ).path,
    ).toBe('cameras.front.height');
    // The built-in config plans: two synthetic cameras, two motion clients and the shared object detector.
    const plan = await planTopology(parseConfigText(DEFAULT_CONFIG_YAML));
    expect(plan.cameras.map((c) => c.name)).toEqual(['cam0', 'cam1']);
    expect(plan.groups[0]!.processes.map((p) => p.name)).toEqual(['detect-cam0', 'detect-cam1']);
    expect(plan.groups[0]!.master!.name).toBe('detect-master');
  });
});

describe('forward: { by_reference }', () => {
  const group = (forward: string, master = '{ class: blob-master }') =>
    `cameras:\n  front: { source: synthetic://testsrc2 }\nprocesses:\n` +
    `  - name: d\n    shape: client-master\n    client: { class: motion-client }\n` +
    `    master: ${master}\n    forward: ${forward}\n`;

  it('plans clients that forward by reference, and copies by default', async () => {
    const byRef = await planTopology(parseConfigText(group('{ by_reference: true }')));
    expect(byRef.groups[0]!.processes[0]!.options.forward).toEqual({ byReference: true });
    const copy = await planTopology(parseConfigText(group('{ slots: 3 }')));
    expect(copy.groups[0]!.processes[0]!.options.forward).toEqual({ width: 640, height: 360, slots: 3 });
  });

  it('refuses it with a size, with a remote master, and a value not a boolean', () => {
    expectError(
      errorOf(() => parseConfigText(group('{ by_reference: true, width: 320 }'))),
      'CONFIG_INVALID',
      'processes[0].forward',
      8,
      /leave width, height and slots out/,
    );
    const remote = `${group('{ by_reference: true }', '{ remote: far }')}nats:\n  servers: nats://127.0.0.1:4222\n`;
    expectError(
      errorOf(() => parseConfigText(remote)),
      'CONFIG_INVALID',
      'processes[0].forward.by_reference',
      8,
      /a remote master gets copies/,
    );
    expect(errorOf(() => parseConfigText(group('{ by_reference: yes }'))).path).toBe(
      'processes[0].forward.by_reference',
    );
  });
});

describe('framering serve --check', { timeout: 60_000 }, () => {
  const cli = (args: string[], env: NodeJS.ProcessEnv) =>
    spawnSync(process.execPath, ['--import', 'tsx', 'src/service/cli.ts', 'serve', ...args], {
      cwd: REPO,
      env: { ...process.env, ...env },
      encoding: 'utf8',
      timeout: 30_000,
    });

  it('prints the resolved topology with the password from the environment redacted, exit 0', () => {
    const file = join(dir, 'check.yaml');
    writeFileSync(
      file,
      `cameras:
  front:
    source: rtsp://admin:\${FRONT_PASSWORD}@192.0.2.10:554/stream1
    width: 1280
    height: 720
  yard:
    source: rtsp://192.0.2.11/h264
    username: viewer
    password: \${YARD_PASSWORD}
processes:
  - name: mine
    shape: per-camera
    class: { module: ${FIXTURE}, export: BrightnessProcess }
    options: { every: 3 }
  - name: detect
    shape: client-master
    cameras: [front]
    client: { class: motion-client, options: { threshold: 30 } }
    master: { class: blob-master }
http:
  token: \${HTTP_TOKEN}
nats:
  servers: nats://localhost:4222
`,
    );
    const secrets = { FRONT_PASSWORD: 'Fr0nt-Secret!', YARD_PASSWORD: 'yard-pw-42', HTTP_TOKEN: 'tok-abcdef123' };
    const r = cli(['--config', file, '--check', '--port', '9999'], secrets);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    for (const secret of Object.values(secrets)) expect(r.stdout).not.toContain(secret);
    expect(r.stdout).toContain('rtsp://***@192.0.2.10:554/stream1');
    expect(r.stdout).toMatch(/mine-front\s+.*brightness_process\.ts#BrightnessProcess\s+reads front/);
    expect(r.stdout).toMatch(/detect-front\s+motion-client \(built-in\)\s+reads front, forwards to detect-master/);
    expect(r.stdout).toMatch(/http: 127\.0\.0\.1:9999 \(token required\)/);
    expect(r.stdout).toMatch(
      new RegExp(
        String.raw`nats: nats:\/\/localhost:4222 as host '[^']+', subjects ` +
          String.raw`framering\.frames\.<master>; jpeg q80, 2 in flight per client, 2000 ms timeout`,
      ),
    );
    expect(r.stdout).toMatch(/password: "\*\*\*"|password: \*\*\*/);
  });

  it('a bad config: one line with the file, key path, line and code, exit 1, no secret', () => {
    const file = join(dir, 'bad.yaml');
    writeFileSync(
      file,
      `cameras:\n  front:\n    source: rtsp://admin:\${FRONT_PASSWORD}@192.0.2.10/s\n    slots: 1\n${PROCESSES}`,
    );
    const r = cli(['--config', file, '--check'], { FRONT_PASSWORD: 'Fr0nt-Secret!' });
    expect(r.status).toBe(1);
    expect(r.stderr.trim()).toBe(
      `framering: ${file}: cameras.front.slots: must be an integer 2–64 (line 4) [CONFIG_INVALID]`,
    );
    const flag = cli(['--port', 'http', '--check'], {});
    expect(flag.status).toBe(1);
    expect(flag.stderr).toMatch(/--port: must be an integer 0–65535 \[CONFIG_FLAG_INVALID\]/);
  });
});
