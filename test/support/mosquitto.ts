// A real mosquitto broker for the MQTT tests: on 127.0.0.1, on a free port, with a generated config (and a password
// file when asked), no persistence. stop() kills it (SIGKILL, like a crash) and start() brings it back on the same
// port.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { exited } from './child_script.js';

import { freePort } from './wait.js';

export { freePort };

export class Mosquitto {
  private child: ChildProcess | null = null;
  private readonly dir = mkdtempSync(join(tmpdir(), 'framering-mosquitto-'));
  log = '';

  private constructor(readonly port: number) {}

  /** users: name → password (a password file, anonymous refused); none: anonymous allowed. */
  static async start(users: Record<string, string> | null = null): Promise<Mosquitto> {
    const broker = new Mosquitto(await freePort());
    const lines = [
      `listener ${broker.port} 127.0.0.1`,
      'persistence false',
      `allow_anonymous ${users ? 'false' : 'true'}`,
    ];
    if (users) {
      const file = join(broker.dir, 'passwd');
      let first = true;
      for (const [user, password] of Object.entries(users)) {
        const r = spawnSync('mosquitto_passwd', [...(first ? ['-c'] : []), '-b', file, user, password], {
          encoding: 'utf8',
        });
        if (r.status !== 0) throw new Error(`mosquitto_passwd failed: ${r.stderr}`);
        first = false;
      }
      // mosquitto started as root drops to its own user, which must be able to read the file (test hashes only).
      chmodSync(broker.dir, 0o755);
      chmodSync(file, 0o644);
      lines.push(`password_file ${file}`);
    }
    writeFileSync(join(broker.dir, 'mosquitto.conf'), `${lines.join('\n')}\n`);
    await broker.start();
    return broker;
  }

  get url(): string {
    return `mqtt://127.0.0.1:${this.port}`;
  }

  async start(): Promise<void> {
    this.log = '';
    const child = spawn('mosquitto', ['-c', join(this.dir, 'mosquitto.conf')], { stdio: ['ignore', 'pipe', 'pipe'] });
    this.child = child;
    child.stdout!.on('data', (d: Buffer) => (this.log += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (this.log += d.toString()));
    const end = Date.now() + 10_000;
    while (!/Opening ipv4 listen socket on port|mosquitto version .* running/.test(this.log)) {
      if (child.exitCode !== null) throw new Error(`mosquitto exited: ${this.log}`);
      if (Date.now() > end) throw new Error(`mosquitto did not start: ${this.log}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  async stop(): Promise<void> {
    const child = this.child;
    this.child = null;
    if (!child) return;
    child.kill('SIGKILL');
    await exited(child);
  }

  async close(): Promise<void> {
    await this.stop();
    rmSync(this.dir, { recursive: true, force: true });
  }
}
