// The config `framering serve` runs without --config: two synthetic cameras (ffmpeg's test patterns, which move,
// so there is something to see), a motion client per camera and one shared master finding the moving blobs —
// main3's shape, so a first run shows both kinds of event (motion from the clients, objects from the master).
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
    master: { class: blob-master, options: { minCells: 24, maxBlobs: 6 } }   # the larger moving things only

http:
  host: 127.0.0.1
  port: 8321
`;

/** Shown in errors about the built-in config (which only flags can make wrong). */
export const DEFAULT_CONFIG_NAME = '(built-in config)';
