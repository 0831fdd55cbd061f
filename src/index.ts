// framering: camera → ffmpeg → pump → ring → process → analysis → reply (and past one host: NatsBridge).
// The public API; plumbing for framering's own tools and tests is in 'framering/internal' (src/internal.ts).
export * from './errors/index.js';
export * from './shm/index.js';
export * from './process/index.js';
export * from './stream/index.js';
export * from './analysis/index.js';
export * from './service/nats/index.js';
// The service's errors, so a program can tell them apart without loading the service (its barrel pulls in Fastify).
export { ConfigError, type ConfigErrorCode } from './service/config/config_error.js';
export { ServiceError, type ServiceErrorCode } from './service/service_error.js';
export { MqttError, type MqttErrorCode } from './service/mqtt/mqtt_error.js';
export { HttpError, type HttpErrorCode } from './service/http/errors.js';
