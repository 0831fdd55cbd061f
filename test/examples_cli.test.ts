// The examples' command line: parsing and checking (in process), and bad arguments given to the real programs
// (one-line error, a usage hint, exit code 2, no stack trace, no credentials).
import { describe, expect, it } from 'vitest';
import { parseArgs, usage } from '../examples/cli/args.js';
import { UsageError } from '../examples/cli/usage_error.js';
import { runExample } from './fixtures/examples/run_example.js';

function usageError(argv: string[]): string {
  try {
    parseArgs(argv);
  } catch (err) {
    expect(err).toBeInstanceOf(UsageError);
    return (err as Error).message;
  }
  throw new Error(`parseArgs(${argv.join(' ')}) accepted bad arguments`);
}

describe('parseArgs', () => {
  it('runs two synthetic cameras at 640x360 @ 10 fps by default', () => {
    const o = parseArgs([]);
    expect(o.cameras.map((c) => [c.name, c.source, c.synthetic])).toEqual([
      ['cam0', 'synthetic://testsrc2', true],
      ['cam1', 'synthetic://testsrc', true],
    ]);
    expect(o).toMatchObject({ width: 640, height: 360, fps: 10, durationS: null, json: false, snapshotIntervalS: 5 });
    expect(o.outDir).toMatch(/\/snapshots$/);
  });

  it('takes camera URLs and every option, in both --opt value and --opt=value forms', () => {
    const o = parseArgs([
      'rtsp://admin:pw@10.0.0.2/live',
      '--width',
      '320',
      '--height=240',
      '--fps',
      '12.5',
      '--duration',
      '3',
      '--out',
      '/tmp/x',
      '--json',
      'synthetic://smptebars',
    ]);
    expect(o.cameras).toHaveLength(2);
    expect(o.cameras[0]).toMatchObject({ name: 'cam0', source: 'rtsp://admin:pw@10.0.0.2/live', synthetic: false });
    expect(o.cameras[0]!.label).not.toContain('pw');
    expect(o.cameras[1]).toMatchObject({ name: 'cam1', synthetic: true });
    expect(o).toMatchObject({ width: 320, height: 240, fps: 12.5, durationS: 3, outDir: '/tmp/x', json: true });
  });

  it.each([
    [['--width', '-5'], /--width must be a whole number from 16 to 4096 \(got -5\)/],
    [['--width', '0'], /--width must be a whole number/],
    [['--height', '0'], /--height must be a whole number/],
    [['--height', '-240'], /--height must be a whole number/],
    [['--width', '320.5'], /--width must be a whole number/],
    [['--width', 'wide'], /--width must be a number \(got 'wide'\)/],
    [['--fps', '0'], /--fps must be above 0 and at most 60/],
    [['--fps', '-1'], /--fps must be above 0/],
    [['--fps', '61'], /--fps must be above 0 and at most 60 \(got 61\)/],
    [['--duration', '0'], /--duration must be a positive number/],
    [['--frobnicate'], /unknown option '--frobnicate'/],
    [['-x'], /unknown option '-x'/],
    [['--width'], /--width needs a value/],
    [['--width', '--json'], /--width needs a value/],
    [['--width', '320', '--width', '640'], /given twice/],
    [['--json=yes'], /--json takes no value/],
    [['--transport', 'sctp'], /--transport must be tcp or udp \(got 'sctp'\)/],
    [['htp://camera/stream'], /camera 1: unknown source scheme "htp:"/],
    [['rtsp://'], /camera 1: the URL has no host/],
    [['synthetic://', 'rtsp://[::1'], /camera 2: not a valid URL/],
    [['camera.local/stream'], /camera 1: video file not found.*a camera is given as a URL/],
  ])('refuses %j', (argv, message) => {
    expect(usageError(argv)).toMatch(message);
  });

  it('--transport udp applies to rtsp cameras only', () => {
    const o = parseArgs(['rtsp://10.0.0.2/live', 'synthetic://', '--transport', 'udp']);
    expect(o.cameras[0]!.source).toEqual({ kind: 'rtsp', url: 'rtsp://10.0.0.2/live', transport: 'udp' });
    expect(o.cameras[0]!.label).toContain('rtsp over udp');
    expect(o.cameras[1]!.source).toBe('synthetic://');
    expect(parseArgs(['rtsp://10.0.0.2/live']).cameras[0]!.label).toContain('rtsp over tcp');
  });

  it('never repeats credentials in an error', () => {
    const message = usageError(['rtsp://admin:s3cr3t@[bad/stream']);
    expect(message).not.toContain('s3cr3t');
    expect(message).toContain('***');
  });

  it('has a usage text naming every option', () => {
    const text = usage('main2');
    for (const opt of ['--width', '--height', '--fps', '--duration', '--out', '--json', 'npm run main2 --'])
      expect(text).toContain(opt);
  });
});

describe('bad arguments given to the real examples', () => {
  it.each([
    ['main1', ['--width', '-5'], /^main1: --width must be a whole number/],
    ['main1', ['--height', '0'], /^main1: --height must be a whole number/],
    ['main2', ['--fps', '500'], /^main2: --fps must be above 0 and at most 60/],
    ['main3', ['--verbose'], /^main3: unknown option '--verbose'/],
    ['main3', ['rtsp://user:hunter2@'], /^main3: camera 1: not a valid URL/],
  ] as const)('%s %j: one line, a usage hint, exit code 2', async (main, argv, message) => {
    const run = await runExample(main, [...argv]);
    expect(run.code).toBe(2);
    const lines = run.stderr.trim().split('\n');
    expect(lines[0]).toMatch(message);
    expect(lines[1]).toMatch(new RegExp(`^usage: npm run ${main} -- \\[camera URL \\.\\.\\.\\]`));
    expect(run.stderr).not.toMatch(/\n\s+at /); // no stack trace
    expect(run.stderr + run.stdout).not.toContain('hunter2');
    expect(run.stdout).toBe('');
  });

  it('an --out folder that cannot be written is one line and exit code 2, before anything starts', async () => {
    const run = await runExample('main2', ['--out', '/proc/framering-nope/snaps']);
    expect(run.code).toBe(2);
    expect(run.stderr.trim()).toBe(
      'main2: cannot write snapshots to /proc/framering-nope/snaps (ENOENT): pick another folder with --out DIR',
    );
  });

  it('--help prints the usage and exits 0', async () => {
    const run = await runExample('main1', ['--help']);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('usage: npm run main1 --');
  });
});
