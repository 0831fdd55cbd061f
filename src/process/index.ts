export { MessageProcess, type MessageProcessOptions, type ProcessState, type ExitInfo } from './message_process.js';
export type { AnyEvents, EventArgs, EventName, LifecycleEvents, ProcessEventMap } from './process_events.js';
export type { ProcessWaitOptions } from './wait_options.js';
export {
  RGB24Process,
  type RGB24ClientOptions,
  type RGB24RingStats,
  type RingGoneEvent,
  type FrameErrorEvent,
  type RGB24Events,
} from './rgb24_process.js';
export {
  ClientProcess,
  type ClientEvents,
  type ClientProcessOptions,
  type ClientProcessStats,
  type ForwardInfo,
  type ForwardOptions,
  type MasterGoneEvent,
} from './client_process.js';
export { MasterProcess, type MasterEvents, type MasterProcessOptions, type ClientGoneEvent } from './master_process.js';
export { stopAll, stopInOrder, type Stoppable } from './shutdown.js';
export type { CallOptions } from './pending_calls.js';
export type { BackendApi, BackendMethodName, RemoteMethod } from './backend_api.js';
export { ProcessError, BackendError, type ProcessErrorCode, type SerializedError } from './process_error.js';
export {
  DetectorMaster,
  isDetectorReply,
  type DetectorEvents,
  type DetectorMasterOptions,
  type DetectorReply,
  type DetectorMasterStats,
  type DetectorClientStats,
  type ObjectEvent,
} from './detector_master.js';
