// framering serve's core, for programs that embed the service or build an outlet on it (HTTP, MQTT, NATS):
// parse a config, start a Service, read it through the ServiceView.
export type {
  ServiceView,
  FrameringEvent,
  DetectedObject,
  Box,
  CameraView,
  CameraStats,
  ProcessStats,
  ServiceStats,
  BridgeStats,
} from './service_view.js';
export { Service, startService, type ServiceOptions } from './service.js';
export { ServiceError, type ServiceErrorCode } from './service_error.js';
export { planTopology, type TopologyPlan } from './topology_plan.js';
export { EVENT_NAME, toFrameringEvent } from './events.js';
export * from './config/index.js';
export { startHttp, DEFAULT_PORT, type HttpOptions, type HttpServer } from './http/index.js';
export { httpOptionsFor } from './http_options.js';
export * from './nats/index.js';
