// Credentials never leave the stream layer in clear: not through console.log/util.inspect of any public object,
// not through errors about malformed URLs, not through query values under any key, not when the user name alone is
// the token, not when a long ffmpeg line is cut. Real objects throughout, and real ffmpeg against a closed port and
// against a real RTSP server that answers 401.
import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { inspect } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { ClientProcess, MasterProcess, MessageProcess, RGB24Process } from '../src/process/index.js';
import { describeSource, LiveStream, parseSource, StreamError } from '../src/stream/index.js';
import { buildFfmpegCommand, Redactor } from '../src/stream/internal.js';
import { StderrTail } from '../src/stream/stderr_tail.js';
import { RtspTestServer } from './support/rtsp_test_server.js';
import { StreamRecorder } from './support/stream_recorder.js';

const USER = 'opsuser7';
const PASSWORD = 'Pw9zQx4Lk';
const TOKEN = 'Tk5mNb8Vc2';
const URL_WITH_SECRETS = `rtsp://${USER}:${PASSWORD}@127.0.0.1:9/live?token=${TOKEN}&channel=3`;
const SECRETS = [USER, PASSWORD, TOKEN];

let seq = 0;
const ringName = () => `test-creds-${process.pid}-${++seq}`;
const streams: LiveStream[] = [];
function track(stream: LiveStream): LiveStream {
  streams.push(stream);
  return stream;
}
afterAll(async () => {
  await Promise.all(streams.map((s) => s.stop()));
});

function show(value: unknown): string {
  return `${inspect(value, { depth: 10, showHidden: true })}\n${inspect(value, { depth: 10 })}`;
}

/** Neither a secret nor any 5-character piece of it (a cut secret leaks its halves). */
function expectNoSecret(text: string, secrets: readonly string[] = SECRETS): void {
  for (const secret of secrets) {
    expect(text, `"${secret}" in: ${text.slice(0, 2000)}`).not.toContain(secret);
    for (let i = 0; i + 5 <= secret.length; i++)
      expect(text, `piece of "${secret}" in: ${text.slice(0, 2000)}`).not.toContain(secret.slice(i, i + 5));
  }
}

function thrownBy(f: () => unknown): unknown {
  try {
    f();
  } catch (err) {
    return err;
  }
  return undefined;
}

describe('inspect() of every public object', () => {
  it('a LiveStream shows its name, redacted source and state, nothing else', async () => {
    const stream = track(
      new LiveStream({
        source: URL_WITH_SECRETS,
        width: 64,
        height: 48,
        fps: 5,
        name: ringName(),
        backoff: { initialMs: 100, maxMs: 200 },
      }),
    );
    expectNoSecret(show(stream));
    expect(inspect(stream, { breakLength: Infinity })).toMatch(
      new RegExp(
        String.raw`^LiveStream \{ name: 'test-creds-\d+-\d+',` +
          String.raw` source: 'rtsp:\/\/\*\*\*@127\.0\.0\.1:9\/live\?token=\*\*\*&channel=3` +
          String.raw` \(rtsp over tcp\)', state: 'idle'`,
      ),
    );
    // Running: the ffmpeg child (whose spawnargs hold the URL) exists now.
    await stream.start();
    expectNoSecret(show(stream));
    expectNoSecret(show(stream.stats()));
    expectNoSecret(JSON.stringify(stream.stats()));
    // The source itself keeps the real URL for programs, and prints redacted.
    expect(stream.source.kind === 'rtsp' && stream.source.url).toBe(URL_WITH_SECRETS);
    expectNoSecret(show(stream.source));
    expectNoSecret(show(parseSource({ kind: 'http', url: `http://${USER}:${PASSWORD}@cam/v.mjpg?token=${TOKEN}` })));
    await stream.stop();
    expectNoSecret(show(stream));
  });

  it('the Redactor, the ffmpeg command and errors with causes', () => {
    const redactor = Redactor.forUrl(URL_WITH_SECRETS);
    expect(inspect(redactor)).toMatch(/^Redactor \{ secrets: \d+ \(hidden\) \}$/);
    expectNoSecret(show(redactor));

    const command = buildFfmpegCommand(
      parseSource(URL_WITH_SECRETS),
      { width: 64, height: 48, fps: 5 },
      { rtspSocketTimeoutOption: '-timeout' },
    );
    expect(command.args()).toContain(URL_WITH_SECRETS); // ffmpeg gets the real URL…
    expectNoSecret(show(command)); // …people never see it
    expectNoSecret(String(command));
    expect(String(command)).toContain('-rtsp_transport tcp');
  });

  it('a StreamError whose cause is a real spawn error (spawnargs hold the URL)', async () => {
    const child = spawn('/nonexistent/ffmpeg', ['-i', URL_WITH_SECRETS]);
    const spawnError = await new Promise<Error>((resolve) => child.once('error', resolve));
    expect(JSON.stringify(spawnError)).toContain(PASSWORD); // the raw cause does hold it
    const err = new StreamError('FFMPEG_SPAWN_FAILED', 'cannot run ffmpeg', { cause: spawnError });
    expectNoSecret(show(err));
    expect(inspect(err)).toContain('FFMPEG_SPAWN_FAILED');
  });

  it('process objects (frontends holding options with secrets) show name, state and pid only', () => {
    const env = { CAMERA_URL: URL_WITH_SECRETS, API_TOKEN: TOKEN };
    const processes = [
      new MessageProcess({ name: 'm', env }),
      new RGB24Process({ name: 'r', env, execArgv: [`--title=${PASSWORD}`] }),
      new ClientProcess({ name: 'c', env, forward: { width: 64, height: 48 } }),
      new MasterProcess({ name: 'master', env }),
    ];
    for (const p of processes) {
      expectNoSecret(show(p));
      expect(inspect(p, { breakLength: Infinity })).toMatch(
        new RegExp(`^${p.constructor.name} \\{ name: '${p.name}', state: 'new'`),
      );
    }
  });
});

describe('malformed URLs', () => {
  const malformed = [
    `rtsp:/${USER}:${PASSWORD}@host/x`,
    `rtsp://${USER}:${PASSWORD}@`,
    `rtsp//${USER}:${PASSWORD}@h/x`,
    `rtsp://${USER}:Pw9z Qx4Lk@host/x`,
    `  rtsp://${USER}:${PASSWORD}@ho st/x  `,
    `rtsp://${USER}:${PASSWORD}ü€@host/x`,
    `rtsp:${USER}:${PASSWORD}@host/x`,
    `http//${USER}:${PASSWORD}@cam/v.mjpg`,
    `rtsp://${USER}:${PASSWORD}@cam:99999/x`,
  ];
  for (const url of malformed) {
    it(`${JSON.stringify(url.replace(PASSWORD, 'PASSWORD'))}: no secret in the error or the description`, () => {
      const err = thrownBy(() => parseSource(url));
      if (err) {
        expect(err).toBeInstanceOf(StreamError);
        expect((err as StreamError).code).toBe('INVALID_SOURCE');
        expectNoSecret(`${(err as Error).message}\n${(err as Error).stack}\n${show(err)}`, [USER, PASSWORD, 'Qx4Lk']);
      } else {
        expectNoSecret(`${describeSource(parseSource(url))}\n${show(parseSource(url))}`, [USER, PASSWORD, 'Qx4Lk']);
      }
      // The text alone, with no source configured: the patterns mask userinfo whatever the URL looks like.
      expectNoSecret(new Redactor().redact(`ffmpeg said: ${url}: Invalid argument`), [USER, PASSWORD]);
    });
  }

  it('says what is wrong and what to do', () => {
    const err = thrownBy(() => parseSource(`rtsp//${USER}:${PASSWORD}@h/x`)) as StreamError;
    expect(err.message).toMatch(/missing the ':' after "rtsp": write rtsp:\/\//);
    const noHost = thrownBy(() => parseSource(`rtsp:/${USER}:${PASSWORD}@host/x`)) as StreamError;
    expect(noHost.message).toMatch(/no host.*write it as rtsp:\/\//);
  });
});

describe('query values', () => {
  it('every value is masked unless its key is allow-listed', () => {
    const url =
      `rtsp://cam/x?channel=1&subtype=0&apikey=${TOKEN}&X-Amz-Signature=${PASSWORD}` +
      `&a=${USER}&Profile=main&${TOKEN}x`;
    const texts = [
      describeSource(parseSource(url)),
      Redactor.forUrl(url).redact(`open ${url} failed`),
      new Redactor().redact(`open ${url} failed`),
    ];
    for (const text of texts) {
      expectNoSecret(text);
      expect(text).toContain('channel=1&subtype=0&apikey=***&X-Amz-Signature=***&a=***&Profile=main&***');
    }
    // Known query secrets are masked where ffmpeg prints them without the URL, too.
    expect(Redactor.forUrl(url).redact(`token ${TOKEN} rejected`)).toBe('token *** rejected');
  });
});

describe('a token as the user name', () => {
  it('is a secret by itself', () => {
    const r = Redactor.forUrl(`rtsp://${TOKEN}@cam/x`);
    expect(r.redact(`rtsp://${TOKEN}@cam/x: 401 Unauthorized`)).toBe('rtsp://***@cam/x: 401 Unauthorized');
    expect(r.redact(`user ${TOKEN} not allowed`)).toBe('user *** not allowed');
    expect(r.redact(`Authorization: Basic ${Buffer.from(`${TOKEN}:`).toString('base64')}`)).toBe(
      'Authorization: Basic ***',
    );
    expectNoSecret(describeSource(parseSource(`rtsp://${TOKEN}@cam/x`)));
  });
});

describe('long ffmpeg stderr lines', () => {
  const redactor = Redactor.forUrl(URL_WITH_SECRETS);
  function tailOf(chunks: string[]): { lines: string[]; seen: string[] } {
    const seen: string[] = [];
    const tail = new StderrTail(10, redactor, (l) => seen.push(l));
    for (const c of chunks) tail.push(c);
    tail.flush();
    expectNoSecret(show(tail));
    return { lines: tail.snapshot(), seen };
  }

  it('a secret straddling where an overlong unfinished line is cut', () => {
    // Older code kept the last 4000 characters of an unfinished line: this secret straddled that cut.
    const straddleOld = `${'x'.repeat(10)}${PASSWORD}${'y'.repeat(3995)}`;
    // This one straddles the 4000th character, where the kept head of a line ends now.
    const straddleNew = `${'word '.repeat(799)}rtsp://${USER}:${PASSWORD}@cam/x ${'z'.repeat(500)}`;
    for (const line of [straddleOld, straddleNew]) {
      const { lines, seen } = tailOf([
        line.slice(0, 1500),
        line.slice(1500, 3000),
        line.slice(3000),
        '\n',
        'next line\n',
      ]);
      expectNoSecret([...lines, ...seen].join('\n'));
      expect(lines.at(-1)).toBe('next line');
      expect(lines[0]).toMatch(/… \(\d+ more chars\)$/);
    }
  });

  it('a secret straddling the 1000 characters shown of a line', () => {
    const line = `${'a'.repeat(990)} rtsp://${USER}:${PASSWORD}@cam/x?token=${TOKEN} failed\n`;
    const { lines } = tailOf([line]);
    expectNoSecret(lines.join('\n'));
    expect(lines[0]).toMatch(/^a{990} rtsp:\/\/\*.*… \(\d+ more chars\)$/);
  });
});

describe('a real LiveStream against bad cameras', () => {
  async function closedPort(): Promise<number> {
    const srv = createServer();
    await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
    const port = (srv.address() as { port: number }).port;
    await new Promise((r) => srv.close(r));
    return port;
  }

  async function expectSilentAboutSecrets(url: string, secrets: string[], expectError: RegExp): Promise<void> {
    const stream = track(
      new LiveStream({
        source: url,
        width: 64,
        height: 48,
        fps: 5,
        name: ringName(),
        backoff: { initialMs: 100, maxMs: 300 },
      }),
    );
    const rec = new StreamRecorder(stream);
    await stream.start();
    await rec.until(() => rec.faults.length >= 2, 'two faults');
    const timeout = await stream.whenState('streaming', 300).catch((e: Error) => e);
    const said = [
      rec.everythingSaid(),
      ...rec.faults.map((f) => show(f)),
      show(timeout),
      show(stream),
      show(stream.stats()),
      JSON.stringify(stream.stats()),
      stream.stderrTail().join('\n'),
    ].join('\n');
    expect(stream.stats().lastError?.message).toMatch(expectError);
    await stream.stop();
    expectNoSecret(said + show(stream), secrets);
  }

  it('a closed port: no secret in any event, error, stat or fault', async () => {
    const port = await closedPort();
    await expectSilentAboutSecrets(
      `rtsp://${USER}:${PASSWORD}@127.0.0.1:${port}/live?token=${TOKEN}&channel=3`,
      SECRETS,
      /Connection refused/i,
    );
  });

  it('a real RTSP server refusing the password (401): ffmpeg echoes the URL, we never do', async () => {
    const server = await RtspTestServer.start({ user: USER, password: 'the-right-one-77' });
    try {
      await expectSilentAboutSecrets(
        server.secureUrl(USER, PASSWORD),
        [USER, PASSWORD],
        /401|Unauthorized|authorization/i,
      );
    } finally {
      await server.stop();
    }
  });
});
