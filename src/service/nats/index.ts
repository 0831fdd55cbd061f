// Remote masters on NATS (see README "Beyond one machine").
export { NatsBridge, type NatsBridgeOptions, type NatsBridgeStats } from './nats_bridge.js';
export { NatsBridgeError, type NatsBridgeErrorCode } from './bridge_error.js';
export type { RemoteMasterStats } from './camera_side.js';
export type { ServedMasterStats } from './detector_side.js';
export { HEADER as NATS_FRAME_HEADERS, WIRE_VERSION as NATS_WIRE_VERSION } from './frame_codec.js';
