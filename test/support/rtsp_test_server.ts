// Starts and stops test/support/rtsp_server.py (GStreamer's RTSP server) for tests: a real camera on 127.0.0.1.
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const SCRIPT = fileURLToPath(new URL('./rtsp_server.py', import.meta.url));
// The system python has python3-gi; a pyenv/venv python on PATH usually does not.
const PYTHON = process.env.FRAMERING_TEST_PYTHON ?? '/usr/bin/python3';

export interface RtspTestServerOptions {
  width?: number;
  height?: number;
  fps?: number;
  /** videotestsrc pattern; 'smpte' gives 100% colour bars (white, yellow, cyan, green, magenta, red, blue). */
  pattern?: string;
  /** When set, /secure is served with RTSP basic auth on a second port. */
  user?: string;
  password?: string;
  readyTimeoutMs?: number;
}

export class RtspTestServer {
  port = 0;
  securePort = 0;
  private child: ChildProcess | null = null;
  private exited: Promise<void> = Promise.resolve();
  private stderr = '';

  private constructor(private readonly opts: RtspTestServerOptions) {}

  /** Start on free ports (picked by the server itself, so no race with other tests). */
  static async start(opts: RtspTestServerOptions = {}): Promise<RtspTestServer> {
    const server = new RtspTestServer(opts);
    await server.launch();
    return server;
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  get running(): boolean {
    return this.child !== null;
  }

  /** rtsp://127.0.0.1:<port>/test (no auth). */
  url(): string {
    return `rtsp://127.0.0.1:${this.port}/test`;
  }

  /** rtsp://user:password@127.0.0.1:<securePort>/secure; pass other credentials to try wrong ones. */
  secureUrl(user = this.opts.user ?? 'user', password = this.opts.password ?? ''): string {
    if (!this.securePort) throw new Error('RtspTestServer was started without a password: no /secure mount');
    return `rtsp://${encodeURIComponent(user)}:${encodeURIComponent(password)}@127.0.0.1:${this.securePort}/secure`;
  }

  /** Start again after stop()/kill(), on the same ports (clients reconnecting to the old URL find it again). */
  async restart(): Promise<void> {
    if (this.child) await this.stop();
    // The old socket may linger for a moment after a kill: retry the bind briefly.
    for (let attempt = 0; ; attempt++) {
      try {
        await this.launch();
        return;
      } catch (err) {
        if (attempt >= 10) throw err;
        await new Promise((r) => setTimeout(r, 300));
      }
    }
  }

  /** Graceful stop: SIGTERM, then SIGKILL after 3 s; resolves once the process is gone. */
  async stop(): Promise<void> {
    const child = this.child;
    if (!child) return;
    child.kill('SIGCONT');
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 3000);
    await this.exited;
    clearTimeout(timer);
  }

  /** Crash it: SIGKILL, as a camera losing power. Resolves once the process is gone. */
  async kill(): Promise<void> {
    const child = this.child;
    if (!child) return;
    child.kill('SIGKILL');
    await this.exited;
  }

  /** Freeze it (SIGSTOP): connections stay open but nothing more is sent. */
  pause(): void {
    this.child?.kill('SIGSTOP');
  }

  resume(): void {
    this.child?.kill('SIGCONT');
  }

  private launch(): Promise<void> {
    const o = this.opts;
    const args = [
      SCRIPT,
      '--port',
      String(this.port),
      '--width',
      String(o.width ?? 320),
      '--height',
      String(o.height ?? 240),
      '--fps',
      String(o.fps ?? 15),
      '--pattern',
      o.pattern ?? 'smpte',
    ];
    if (o.password)
      args.push('--user', o.user ?? 'user', '--password', o.password, '--secure-port', String(this.securePort));
    // stdin stays a pipe we hold: if this process dies, the server sees EOF and exits.
    const child = spawn(PYTHON, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    this.child = child;
    this.stderr = '';
    this.exited = new Promise((resolve) => {
      child.once('exit', () => {
        if (this.child === child) this.child = null;
        resolve();
      });
    });
    child.stderr!.setEncoding('utf8');
    child.stderr!.on('data', (chunk: string) => {
      this.stderr = (this.stderr + chunk).slice(-4000);
    });
    return new Promise<void>((resolve, reject) => {
      let stdout = '';
      const timeout = setTimeout(() => {
        child.kill('SIGKILL');
        reject(new Error(`RTSP test server did not become ready in time; stderr: ${this.stderr}`));
      }, o.readyTimeoutMs ?? 20_000);
      child.once('error', (err) => {
        clearTimeout(timeout);
        reject(new Error(`cannot run ${PYTHON} for the RTSP test server: ${err.message}`));
      });
      child.once('exit', (code, signal) => {
        clearTimeout(timeout);
        reject(
          new Error(`RTSP test server exited before ready (code ${code}, signal ${signal}); stderr: ${this.stderr}`),
        );
      });
      child.stdout!.setEncoding('utf8');
      child.stdout!.on('data', (chunk: string) => {
        stdout += chunk;
        const m = /READY (\d+)(?: (\d+))?/.exec(stdout);
        if (!m) return;
        clearTimeout(timeout);
        this.port = Number(m[1]);
        if (m[2]) this.securePort = Number(m[2]);
        resolve();
      });
    });
  }
}
