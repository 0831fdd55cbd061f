import { flagParam, intParam, numberParam, strictQuery } from '../query.js';

/** GET /api/cameras/:name/latest.jpg — height defaults to the camera's own. */
export const latestQuery = strictQuery({
  height: intParam(16, 4320).optional(),
  quality: intParam(1, 100).default(80),
  boxes: flagParam.default(false),
});

/** GET /api/cameras/:name/stream.mjpeg — Frigate's defaults are height 360, fps 3; ours 360 and 5. */
export const mjpegQuery = strictQuery({
  fps: numberParam(0.1, 30).default(5),
  height: intParam(16, 4320).default(360),
  quality: intParam(1, 100).default(70),
});
