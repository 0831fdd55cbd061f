#!/usr/bin/env node
// framering serve [--config FILE] [--port N] [--host H] [--mqtt URL] [--check] [--events-jsonl FILE]
//
// Starts the cameras and processes a config describes (a built-in one without --config), the MQTT bridge (when
// the config has mqtt: or --mqtt is given) and the HTTP side, and prints the URL to open. --check only validates
// and prints the resolved topology (secrets redacted): exit 0/1.
// Ctrl-C / SIGTERM stop everything in order (HTTP first, then readers before writers) and exit 0.

import { createWriteStream, type WriteStream } from 'node:fs';
import { parseArgs } from 'node:util';
import { listSegments } from '../shm/index.js';
import { redactUrls } from '../stream/index.js';
import { formatCheckReport } from './check_report.js';
import {
  ConfigError,
  DEFAULT_CONFIG_NAME,
  DEFAULT_CONFIG_YAML,
  loadConfigFile,
  parseConfigText,
  type ParsedConfig,
} from './config/index.js';
import { startHttp, type HttpServer } from './http/index.js';
import { httpOptionsFor } from './http_options.js';
import { isBrokerUrl, MQTT_URL_ERROR, mqttConfigFor } from './mqtt/mqtt_config.js';
import { MqttError } from './mqtt/mqtt_error.js';
import { startMqttBridge, type MqttBridge } from './mqtt/mqtt_bridge.js';
import { packageVersion } from './package_version.js';
import { Service } from './service.js';
import { ServiceError } from './service_error.js';
import { planTopology, type TopologyPlan } from './topology_plan.js';

const USAGE = `usage: framering serve [--config FILE] [--port N] [--host H] [--mqtt URL] [--check] [--events-jsonl FILE]

  --config FILE        YAML or JSON config (default: built-in, two synthetic cameras)
  --port N             HTTP port, overrides http.port (0 = any free port)
  --host H             HTTP address, overrides http.host (default 127.0.0.1)
  --mqtt URL           publish to this MQTT broker (mqtt://[user[:pass]@]host[:port], mqtts://…), overrides
                       mqtt.url; every other MQTT setting from the config's mqtt: section or its default
  --check              validate the config, print the resolved topology (secrets redacted), exit 0 or 1
  --events-jsonl FILE  also append every event to FILE, one JSON object per line
  --help               this text`;

function say(line: string): void {
  process.stderr.write(`framering: ${line}\n`);
}

function usageError(message: string): never {
  say(redactUrls(message));
  process.stderr.write(`${USAGE.split('\n')[0]}\n(framering --help for details)\n`);
  process.exit(2);
}

async function main(argv: string[]): Promise<number> {
  let parsed: ReturnType<typeof parseArgs<{ options: typeof OPTIONS; allowPositionals: true; strict: true }>>;
  const OPTIONS = {
    config: { type: 'string' },
    port: { type: 'string' },
    host: { type: 'string' },
    mqtt: { type: 'string' },
    check: { type: 'boolean' },
    'events-jsonl': { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  } as const;
  try {
    parsed = parseArgs({ args: argv, options: OPTIONS, allowPositionals: true, strict: true });
  } catch (err) {
    usageError((err as Error).message);
  }
  const { values } = parsed;
  // `npm start` already says serve: `npm start -- serve …` means the same.
  const positionals =
    parsed.positionals[0] === 'serve' && parsed.positionals[1] === 'serve'
      ? parsed.positionals.slice(1)
      : parsed.positionals;
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  if (positionals[0] !== 'serve' || positionals.length > 1)
    usageError(
      positionals.length === 0 ? 'say what to do: framering serve' : `unknown command '${positionals.join(' ')}'`,
    );

  const origin = values.config ?? DEFAULT_CONFIG_NAME;
  let plan: TopologyPlan;
  try {
    const config = values.config ? loadConfigFile(values.config) : parseConfigText(DEFAULT_CONFIG_YAML, { file: null });
    applyFlags(config, values);
    plan = await planTopology(config);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    say(`${err.file ?? origin}: ${err.message} [${err.code}]`);
    return 1;
  }
  if (values.check) {
    process.stdout.write(`${formatCheckReport(plan, origin)}\n`);
    return 0;
  }
  return serve(plan, values['events-jsonl']);
}

/** --port and --host win over the config's http section, --mqtt over mqtt.url. */
function applyFlags(config: ParsedConfig, values: { port?: string; host?: string; mqtt?: string }): void {
  if (values.mqtt !== undefined) {
    if (!isBrokerUrl(values.mqtt.trim()))
      throw new ConfigError('CONFIG_FLAG_INVALID', MQTT_URL_ERROR, { path: '--mqtt' });
    const url = values.mqtt.trim();
    config.config.mqtt = config.config.mqtt ? { ...config.config.mqtt, url } : mqttConfigFor(url);
  }
  if (values.port !== undefined) {
    const port = /^\d{1,5}$/.test(values.port) ? Number(values.port) : NaN;
    if (!(port >= 0 && port <= 65535))
      throw new ConfigError('CONFIG_FLAG_INVALID', 'must be an integer 0–65535', { path: '--port' });
    config.config.http.port = port;
  }
  if (values.host !== undefined) {
    if (values.host.trim() === '')
      throw new ConfigError('CONFIG_FLAG_INVALID', 'must be a host name or address', { path: '--host' });
    config.config.http.host = values.host.trim();
  }
}

async function serve(plan: TopologyPlan, eventsFile: string | undefined): Promise<number> {
  const log = (line: string) => say(plan.redactor.redact(line));
  let stopRequested: ((reason: string) => void) | null = null;
  const stopReason = new Promise<string>((resolve) => (stopRequested = resolve));
  installSignals((signal) => stopRequested!(signal));

  let service: Service;
  try {
    service = await Service.start(plan, { log });
  } catch (err) {
    if (!(err instanceof ServiceError)) throw err;
    log(`${err.message} [${err.code}]`);
    return 1;
  }
  let mqtt: MqttBridge | null = null;
  if (plan.config.mqtt) {
    try {
      mqtt = await startMqttBridge(service, { config: plan.config.mqtt, log, version: packageVersion() });
    } catch (err) {
      if (!(err instanceof MqttError)) throw err;
      log(`${err.message} [${err.code}]; stopping`);
      await service.stop();
      return 1;
    }
  }
  // For the /dev/shm check at the end: rings our children owned.
  const childPids = new Set(Object.values(service.stats().processes).map((p) => p.pid ?? 0));

  let events: WriteStream | null = null;
  if (eventsFile) {
    events = createWriteStream(eventsFile, { flags: 'a' });
    events.on('error', (err) => log(`cannot write events to ${eventsFile}: ${err.message}`));
    service.on('event', (e) => events!.write(`${JSON.stringify(e)}\n`));
  }

  let http: HttpServer | null = null;
  let failed = false;
  const { host, port } = plan.config.http;
  try {
    // host, port (flags already applied), token and the MJPEG caps, all from the config.
    http = await startHttp(service, httpOptionsFor(plan.config));
  } catch (err) {
    log(`the HTTP side cannot listen on ${host}:${port}: ${(err as Error).message} [HTTP_FAILED]; stopping`);
    failed = true;
    stopRequested!('error');
  }
  const cams = plan.cameras.map((c) => `${c.name} (${c.label})`).join(', ');
  const procs = plan.groups.flatMap((g) => [...g.processes, ...(g.master ? [g.master] : [])]).length;
  if (!failed) log(`serving ${plan.cameras.length} camera(s): ${cams}; ${procs} process(es); Ctrl-C to stop`);
  if (http)
    process.stdout.write(
      `framering: open ${http.url}/${plan.config.http.token ? ' (add ?token=<your token> once in a browser)' : ''}\n`,
    );

  const reason = await stopReason;
  log(`stopping (${reason})`);
  // HTTP first (no request reads a ring being closed), then the service: readers before writers.
  await http?.close().catch(() => {});
  await mqtt?.stop(); // says offline; its snapshot readers close before the cameras
  await service.stop();
  if (events) await new Promise<void>((resolve) => events!.end(resolve));
  const left = listSegments().filter(
    (s) => s.name.startsWith(`svc${process.pid}-`) || s.writerPid === process.pid || childPids.has(s.writerPid),
  );
  if (left.length > 0) {
    log(`left in /dev/shm: ${left.map((s) => s.segment).join(', ')} (remove with framering-cleanup)`);
    failed = true;
  }
  log('stopped');
  return failed ? 1 : 0;
}

/** One Ctrl-C is one stop, even under `npm start` (which forwards the terminal's signal a second time). */
function installSignals(stop: (signal: string) => void): void {
  let count = 0;
  let firstAt = 0;
  const onSignal = (signal: NodeJS.Signals) => {
    if (count === 1 && Date.now() - firstAt < 500) return;
    count++;
    if (count === 1) {
      firstAt = Date.now();
      stop(signal === 'SIGINT' ? 'Ctrl-C' : signal);
    } else if (count === 2) {
      say(`already stopping; ${signal} once more to quit at once`);
    } else {
      process.exit(130);
    }
  };
  for (const s of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(s, onSignal);
}

main(process.argv.slice(2)).then(
  (code) => process.stdout.write('', () => process.exit(code)),
  (err: unknown) => {
    say(`unexpected error: ${redactUrls(err instanceof Error ? (err.stack ?? err.message) : String(err))}`);
    process.exit(1);
  },
);
