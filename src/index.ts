// framering: camera → ffmpeg → pump → ring → process → analysis → reply (and past one host: NatsBridge).
export * from './shm/index.js';
export * from './process/index.js';
export * from './stream/index.js';
export * from './analysis/index.js';
export * from './service/nats/index.js';
