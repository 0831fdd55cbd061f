// Every code a framering error can carry, each with the one thing it means, whichever class raises it. A program
// switches over FrameringErrorCode exhaustively; the table is also the list at run time (ErrorCodes, isErrorCode).
// A new code goes here first: test/errors.test.ts checks that every code thrown in src/ and native/ is listed.

export const ERROR_CODE_MEANINGS = {
  // Any layer
  INVALID_ARGUMENT: 'a bad argument or option given by the caller (a size, a name, a timeout, a mode): fix the call',
  TIMEOUT: 'a wait for a state (a ring to appear, a process to start or stop, a stream state) ran past its time limit',
  CLOSED: 'a ring, reader or frame used after close() (or after its ring closed)',
  STOPPED: 'the process, stream or service was stopped, or is stopping: the call or wait was not served',
  START_FAILED: 'start() could not finish (the cause says why); what it had started was stopped again',
  NOT_FOUND: 'nothing of that name here (an HTTP route or file, a ring source this process reads)',
  TOO_MANY_CLIENTS: 'a limit on clients or viewers is reached: try again later, or raise the limit',
  INTERNAL: 'an unexpected failure inside framering (a bug): please report it with the message',
  SYSTEM: 'an operating-system call failed; the message holds its error text',

  // Shared-memory rings (RingError)
  RING_EXISTS: 'a ring of that name exists already and is in use (or is not ours to replace)',
  RING_NOT_FOUND: 'no ring of that name exists in /dev/shm: is its server running?',
  RING_INVALID: 'the segment is not a framering ring of this version, or not of the kind asked for (frames vs data)',
  RING_UNTRUSTED: 'the ring belongs to another user or every user may write it: not opened unless allowForeign',
  NO_SPACE: '/dev/shm has not enough free space for the ring: free some, or make the ring smaller',
  TOO_MANY_READERS: 'the ring has no reader slot left',
  MESSAGE_TOO_LARGE: "a frame or message larger than the ring's slot",
  WRITER_GONE: "the ring's writer process went away (or closed the ring) while it was being read",
  INTERRUPTED: 'a blocking pull() was interrupted by a termination signal (SIGTERM, SIGINT or SIGHUP)',

  // Processes (ProcessError, BackendError)
  NOT_STARTED: 'a call to a process before its start() resolved',
  ALREADY_STARTED: 'start() on a process that is starting or running',
  BACKEND_EXITED: 'the backend process exited (crashed, was killed) while a call or start was pending',
  BACKEND_ERROR: 'a backend method threw an error without a framering code (BackendError.remoteCode keeps its own)',
  UNKNOWN_METHOD: 'no such backend method, or one the frontend may not call',
  WRONG_SIDE: 'a backend-only method called in the frontend, or the reverse',
  SEND_FAILED: 'an argument, return value or event could not be sent between the processes: send plain data',
  RPC_TIMEOUT: 'a backend call got no reply within its timeout (callTimeoutMs, or backendWith({ timeoutMs }))',
  ABORTED: "a call's AbortSignal fired before the reply (the error is named AbortError)",
  PROTOCOL_MISMATCH: 'the parent and the child process load different framering versions',
  CLIENT_GONE: 'a client process died while its master was registering it',
  ALREADY_REGISTERED: 'a client or ring registered twice under one name',
  NOT_REGISTERED: 'a client that the master does not know',

  // Camera streams (StreamError)
  INVALID_SOURCE: 'the camera source is unusable (empty URL, unknown scheme, missing file)',
  FFMPEG_NOT_FOUND: 'no usable ffmpeg binary: install one or set FFMPEG_PATH',
  FFMPEG_SPAWN_FAILED: 'the ffmpeg binary could not be started',
  FFMPEG_EXITED: 'ffmpeg ended (camera unreachable, stream ended, decode error): it is restarted with backoff',
  SHORT_FRAME: "ffmpeg's output ended mid-frame: the partial frame was dropped",
  PUMP_ERROR: "reading ffmpeg's output failed",
  WATCHDOG: 'no frame within watchdogMs: ffmpeg was restarted',

  // Object detection (DetectorError)
  INVALID_FRAME: 'pixels that are not width × height RGB24 (given to detect(), drawBoxes(), a GreySampler…)',
  MODEL_NOT_FOUND: 'the model file, or a weights file it names, is missing',
  MODEL_INVALID: 'the model file cannot be read as the model the options describe',
  INFERENCE_UNAVAILABLE: "the detector's inference backend is not installed or failed to initialise",
  INFERENCE_FAILED: 'the inference backend threw while running the model',
  DISPOSED: "detect() after the detector's dispose()",

  // framering serve's config (ConfigError)
  CONFIG_NOT_FOUND: 'the config file does not exist or cannot be read',
  CONFIG_SYNTAX: 'the config is not valid YAML or JSON',
  CONFIG_INVALID: 'a config value of the wrong type or out of range, or a required key missing',
  CONFIG_UNKNOWN_KEY: 'a config key that does not exist (a typo, or a feature not there yet)',
  CONFIG_ENV_MISSING: '${NAME} in the config with NAME not set in the environment',
  CONFIG_UNKNOWN_CAMERA: 'a process names a camera that is not in cameras',
  CONFIG_DUPLICATE_NAME: 'two processes would get the same name',
  CONFIG_MODULE_NOT_FOUND: 'a process class module that does not exist',
  CONFIG_MODULE_FAILED: 'a process class module that exists but fails to load',
  CONFIG_CLASS_NOT_FOUND: 'the module does not export that class',
  CONFIG_CLASS_INVALID: 'the export is not a framering process class, or not one that fits its place',
  CONFIG_FLAG_INVALID: 'a command-line flag that overrides the config has a bad value',

  // The running service (ServiceError)
  HTTP_FAILED: 'the HTTP side could not listen (port taken, bad host)',

  // HTTP answers (HttpError; the body's code)
  BAD_REQUEST: 'a malformed request (bad URL, bad body)',
  BAD_QUERY: 'a query parameter that is unknown or has a bad value (the body names it in param)',
  UNAUTHORIZED: "the request lacks the service's token",
  UNKNOWN_CAMERA: 'no camera of that name: GET /api/cameras lists them',
  BUSY: 'too many snapshots in progress: try again shortly',
  NO_FRAME: 'the camera delivered no frame in time for a snapshot',
  ENCODER_RESTARTING: 'the JPEG encoder is restarting: try again',
  ENCODE_FAILED: 'JPEG encoding of a frame failed',

  // MQTT (MqttError)
  MQTT_BAD_URL: 'the broker URL is not a broker URL, or its host does not resolve',
  MQTT_TLS_FAILED: 'TLS with the broker failed (certificate, or mqtts:// to a plain port)',
  MQTT_AUTH_REFUSED: 'the broker refused the user name, password or client id',
  MQTT_UNREACHABLE: 'nothing answers at the broker, or the connection dropped: retried with backoff',
  MQTT_REQUIRED: 'mqtt.required is set and the broker did not accept the service at start',

  // NATS (NatsBridgeError)
  NATS_UNREACHABLE: 'no NATS server of the list answered',
  NATS_AUTH: 'the NATS server refused the user, password or token',
  NATS_ERROR: 'another failure the NATS client reported',
  NATS_PAYLOAD_TOO_LARGE: "a frame or reply above the NATS server's max_payload",
  FRAME_HEADERS: "a frame message over NATS without framering's headers, or with bad ones",
  FRAME_SIZE: 'a frame message over NATS whose bytes do not match the size its headers give',
  FRAME_CORRUPT: 'a JPEG frame message over NATS that does not decode',
  DETECTOR_BUSY: "the master's input ring had no free slot for a remote frame",
  MASTER_DOWN: 'the master process behind a NATS bridge is not running',
  ALREADY_FORWARDED: 'a client given to the NATS bridge twice',
} as const;

/** Every code of every framering error: `switch (err.code)` over it is exhaustive. */
export type FrameringErrorCode = keyof typeof ERROR_CODE_MEANINGS;

/** The codes at run time: `err.code === ErrorCodes.RING_NOT_FOUND`. */
export const ErrorCodes: { readonly [C in FrameringErrorCode]: C } = Object.freeze(
  Object.fromEntries(Object.keys(ERROR_CODE_MEANINGS).map((code) => [code, code])) as { [C in FrameringErrorCode]: C },
);

/** All codes, in the table's order. */
export const ERROR_CODES: readonly FrameringErrorCode[] = Object.freeze(
  Object.keys(ERROR_CODE_MEANINGS) as FrameringErrorCode[],
);

export function isErrorCode(value: unknown): value is FrameringErrorCode {
  return typeof value === 'string' && Object.hasOwn(ERROR_CODE_MEANINGS, value);
}
