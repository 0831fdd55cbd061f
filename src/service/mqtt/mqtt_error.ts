// What can go wrong between the service and its broker, each with a stable code. Messages are redacted (the
// broker URL shows as mqtt://***@host:port) and say what to do.
import { FrameringError } from '../../errors/index.js';

export type MqttErrorCode =
  | 'MQTT_BAD_URL' // the broker's host name does not resolve, or the URL is not a broker URL
  | 'MQTT_TLS_FAILED' // TLS handshake or certificate check failed (or mqtts:// to a plain port)
  | 'MQTT_AUTH_REFUSED' // the broker refused the user name / password or the client id
  | 'MQTT_UNREACHABLE' // nothing answers, or the connection dropped: retried with backoff
  | 'MQTT_REQUIRED'; // mqtt.required is true and the broker did not accept us at start: the service does not start

export class MqttError extends FrameringError<MqttErrorCode> {
  constructor(code: MqttErrorCode, message: string) {
    super(code, message);
    this.name = 'MqttError';
  }
}

/** Faults worth retrying (the broker may come back); the others stop the bridge until it is restarted. */
export function isPermanent(code: MqttErrorCode): boolean {
  return code === 'MQTT_BAD_URL' || code === 'MQTT_TLS_FAILED' || code === 'MQTT_AUTH_REFUSED';
}

const AUTH_REASONS: Record<number, string> = {
  2: 'the client id was rejected',
  4: 'bad user name or password',
  5: 'not authorised',
  133: 'the client id is not valid',
  134: 'bad user name or password',
  135: 'not authorised',
  138: 'banned',
  140: 'bad authentication method',
};

const TLS_CODES = new RegExp(
  '^(ERR_SSL_|ERR_TLS_|CERT_|DEPTH_ZERO_SELF_SIGNED_CERT|SELF_SIGNED_CERT_IN_CHAIN|' +
    'UNABLE_TO_|EPROTO$|HOSTNAME_MISMATCH)',
);

/**
 * An mqtt.js or socket error as one of ours; `where` is the redacted URL. `firstTls`: an mqtts:// connection that
 * never got through: a reset then means the port does not speak TLS (a plain MQTT listener drops the handshake).
 */
export function classify(err: unknown, where: string, secure: boolean, firstTls = false): MqttError {
  const e = err as { code?: unknown; message?: unknown };
  const message = typeof e?.message === 'string' ? e.message : String(err);
  const code = e?.code;
  if (typeof code === 'number' && AUTH_REASONS[code]) {
    return new MqttError(
      'MQTT_AUTH_REFUSED',
      `the broker at ${where} refused the connection: ${AUTH_REASONS[code]} (check mqtt.username and mqtt.password)`,
    );
  }
  if (typeof code === 'number')
    return new MqttError(
      'MQTT_UNREACHABLE',
      `the broker at ${where} refused the connection (reason ${code}: ${message})`,
    );
  if (code === 'ENOTFOUND')
    return new MqttError('MQTT_BAD_URL', `the broker's host in ${where} does not resolve (check mqtt.url)`);
  if (typeof code === 'string' && TLS_CODES.test(code))
    return new MqttError(
      'MQTT_TLS_FAILED',
      `TLS with the broker at ${where} failed: ${message} ` +
        `(${code}; check the broker's certificate, or mqtt.tls.ca_file)`,
    );
  if (secure && /TLS|SSL|certificate|wrong version number/i.test(message)) {
    return new MqttError(
      'MQTT_TLS_FAILED',
      `TLS with the broker at ${where} failed: ${message} (is it an mqtts:// port?)`,
    );
  }
  if (firstTls && (code === 'ECONNRESET' || code === 'EPIPE' || /socket hang up/i.test(message))) {
    return new MqttError(
      'MQTT_TLS_FAILED',
      `TLS with the broker at ${where} failed: the connection was reset during the handshake ` +
        `(${code ?? message}; is it an mqtts:// port?)`,
    );
  }
  const why = typeof code === 'string' ? code : message;
  return new MqttError('MQTT_UNREACHABLE', `cannot reach the broker at ${where} (${why})`);
}
