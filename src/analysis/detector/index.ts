// Object detection with a neural network on RGB24 frames (see README, "Object detection").
export {
  ObjectDetector,
  normalizeDetectorOptions,
  type Detection,
  type DetectionResult,
  type DetectorBackend,
  type ObjectDetectorOptions,
  type NormalizedDetectorOptions,
  type DetectorModelSpec,
  type ResolvedModelSpec,
  type BackendChoice,
  type CustomBackendSpec,
  type TfjsWasmOptions,
} from './object_detector.js';
export { DetectorError, type DetectorErrorCode } from './detector_error.js';
export { COCO_LABELS } from './coco_labels.js';
export { fitToInput, toFrameBox, type InputTransform, type ResizeMode, type FitOptions } from './letterbox.js';
export { iou, nonMaxSuppression, type RectLike } from './nms.js';
export { defaultModelPath, readGraphModel } from './model_files.js';
export { LatencyWindow } from './latency_window.js';
export { IouTracker, type TrackEvent } from './tracker.js';
export { drawLabelledBoxes, drawText } from './draw_labels.js';
