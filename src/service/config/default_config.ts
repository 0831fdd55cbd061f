// The config `framering serve` runs without --config: two synthetic cameras (ffmpeg's test patterns, which move,
// so there is something to see), a motion client per camera and one shared master running the COCO object detector
// on the frames with motion — main3's shape. Test patterns hold no COCO objects: point a camera at a street (or
// `--config` with a video file) to see people and cars boxed; `class: blob-master` boxes whatever moves instead.
// Kept as YAML text so that it goes through the same parser as a user's file, and doubles as an example.

export const DEFAULT_CONFIG_YAML = `# framering serve: built-in config
cameras:
  cam0:
    source: synthetic://testsrc2
    width: 640
    height: 360
    fps: 10
  cam1:
    source: synthetic://testsrc
    width: 640
    height: 360
    fps: 10

processes:
  - name: detect            # detect-cam0, detect-cam1 (clients) and detect-master
    shape: client-master
    client: { class: motion-client }
    master: { class: object-detector, options: { minScore: 0.4 } }   # or: { class: blob-master } for moving blobs

http:
  host: 127.0.0.1
  port: 8321
`;

/** Shown in errors about the built-in config (which only flags can make wrong). */
export const DEFAULT_CONFIG_NAME = '(built-in config)';
