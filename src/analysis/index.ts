// Reusable image analysis over RGB24 frames (motion, blobs, boxes, snapshots): pure TypeScript on pixels and sizes.
// Motion (GreySampler, MotionDetector) and snapshots also take bgr24 and gray8 frames (their pixelFormat).
// It knows frames, never rings or processes, so any process class (or a test) can use it.
export { AnalysisError, type AnalysisErrorCode } from './analysis_error.js';
export { GreySampler, type GreyImage } from './grey_image.js';
export { MotionDetector, type MotionOptions, type MotionResult } from './motion_detector.js';
export { MotionDetectors } from './motion_detectors.js';
export { BlobExtractor, type Box, type BlobOptions } from './blobs.js';
export { drawBoxes, lineWidthFor, BOX_COLOUR, type Rgb } from './draw_boxes.js';
export { SnapshotWriter, type SnapshotWriterOptions } from './snapshot_writer.js';
// Object detection with a neural network (tfjs-wasm loads only when a detector is created).
export {
  ObjectDetector,
  DetectorError,
  COCO_LABELS,
  type Detection,
  type DetectionResult,
  type DetectorBackend,
  type DetectorErrorCode,
  type ObjectDetectorOptions,
} from './detector/index.js';
