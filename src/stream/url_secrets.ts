// Which parts of a camera URL are secrets: the whole userinfo (a user name alone can be an access token), and
// every query value except those of a few keys that only describe the stream. Works on malformed URLs too
// (`rtsp:/admin:pw@host`, `rtsp//admin:pw@h`, spaces, no host): those are the ones echoed back in errors.

/**
 * Query keys whose values are shown in logs, errors and stats: they pick a stream, never authenticate. Every
 * other query value is a secret (cameras take tokens under any name: ?token=, ?auth=, ?t=, ?jwt=, ?code=…).
 * Compared case-insensitively.
 */
export const VISIBLE_QUERY_KEYS: ReadonlySet<string> = new Set([
  'channel',
  'subtype',
  'stream',
  'streamtype',
  'profile',
  'resolution',
  'width',
  'height',
  'fps',
  'framerate',
  'codec',
  'transport',
  'unicast',
  'proto',
  'tcp',
  'udp',
  // ffmpeg's own option in the tcp:// URLs its connection errors print.
  'timeout',
]);

export function isVisibleQueryKey(key: string): boolean {
  return VISIBLE_QUERY_KEYS.has(decodeSafe(key).trim().toLowerCase());
}

/** Scheme and separator, tolerating the common typos: `rtsp://`, `rtsp:/`, `rtsp:///`, `rtsp//`. */
export const SCHEME_START = /[a-z][a-z0-9+.-]*(?::\/{1,3}|\/\/)/i;

/** Everything in `url` that must never be printed; [] when it holds none. Never throws. */
export function urlSecrets(url: string): string[] {
  const secrets: string[] = [];
  const add = (s: string | undefined) => {
    if (s) secrets.push(s, decodeSafe(s));
  };
  const text = url.trim();

  // The authority: after the scheme (if any), up to the first / ? # or line end.
  const start = new RegExp(`^${SCHEME_START.source}`, 'i').exec(text);
  const rest = start ? text.slice(start[0].length) : text;
  const authority = /^[^/?#\r\n]*/.exec(rest)![0];
  const at = authority.lastIndexOf('@');
  if (at >= 0) {
    const userinfo = authority.slice(0, at);
    const colon = userinfo.indexOf(':');
    const user = colon >= 0 ? userinfo.slice(0, colon) : userinfo;
    const password = colon >= 0 ? userinfo.slice(colon + 1) : '';
    add(userinfo);
    add(user);
    add(password);
    // Some ffmpeg builds and proxies print the Basic-auth header they send.
    if (userinfo) secrets.push(Buffer.from(`${decodeSafe(user)}:${decodeSafe(password)}`).toString('base64'));
  }

  const query = /\?([^#\r\n]*)/.exec(rest)?.[1];
  if (query !== undefined) {
    for (const item of query.split(/[&;]/)) {
      const eq = item.indexOf('=');
      if (eq < 0) {
        if (!isVisibleQueryKey(item)) add(item); // a bare ?TOKEN
      } else if (!isVisibleQueryKey(item.slice(0, eq))) {
        add(item.slice(eq + 1));
      }
    }
  }

  // What the WHATWG parser makes of it (percent-encodings it adds, e.g. for spaces and non-ASCII).
  try {
    const parsed = new URL(text);
    add(parsed.username);
    add(parsed.password);
    for (const [key, value] of parsed.searchParams) if (!isVisibleQueryKey(key)) add(value);
  } catch {
    /* malformed: the lenient reading above is all there is */
  }
  return secrets.filter((s) => s.length > 0);
}

export function decodeSafe(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}
