// The examples' image analysis: pure TypeScript over RGB24 frames, no dependency on framering itself.
export { GreySampler, type GreyImage } from './grey_image.js';
export { MotionDetector, type MotionOptions, type MotionResult } from './motion_detector.js';
export { MotionDetectors } from './motion_detectors.js';
export { BlobExtractor, type Box, type BlobOptions } from './blobs.js';
export { drawBoxes, lineWidthFor, BOX_COLOUR, type Rgb } from './draw_boxes.js';
export { SnapshotWriter, type SnapshotWriterOptions } from './snapshot_writer.js';
export { ensureDir } from './ensure_dir.js';
