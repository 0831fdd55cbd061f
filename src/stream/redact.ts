// Camera credentials must never reach a log line, error, event or stat. ffmpeg echoes the input URL in its
// messages, so every text that leaves this layer goes through a Redactor built from the configured URL.
// Two nets: the Redactor's known secrets (wherever they appear, URL or not), then patterns that mask any
// userinfo and any query value that is not allow-listed (see url_secrets.ts), for URLs it was never told about.
import { inspect } from 'node:util';
import { isVisibleQueryKey, SCHEME_START, urlSecrets } from './url_secrets.js';

const MASK = '***';
/**
 * Known secrets shorter than this are masked inside URLs only (by the patterns), not as bare text: masking every
 * "1" or "ab" in a message would make it unreadable. Credentials that short are no protection anyway.
 */
const MIN_BARE_SECRET_CHARS = 3;

// scheme://authority: the userinfo is everything up to the authority's last '@' that a host (or nothing) follows.
const URL_AUTHORITY = new RegExp(`(${SCHEME_START.source})([^/?#\\r\\n]*)`, 'gi');
// user:secret@host without a scheme (a URL missing its scheme, or quoted in some message).
const BARE_USERINFO = /(^|[\s'"(<[,;=])([^\s'"<>()[\]@/]*:[^\s@/]*)@(?=[^\s@]|$)/g;
// The query of anything URL-ish (it has a ':' or '/' before the '?').
const URL_QUERY = /([^\s?#'"]*[:/][^\s?#'"]*)\?([^\s#'"]*)/g;
// An authority still open at the end of a text that was cut: its '@' may have been cut off.
const OPEN_AUTHORITY_AT_END = new RegExp(`(${SCHEME_START.source})[^/?#\\r\\n]*$`, 'i');

function maskUserinfo(_match: string, scheme: string, authority: string): string {
  // The last '@' followed by a host character or ending the authority ('@ ' is ffmpeg's "[rtsp @ 0x…]").
  let at = -1;
  for (let i = authority.length - 1; i >= 0; i--) {
    if (authority[i] === '@' && (i === authority.length - 1 || !/[\s@]/.test(authority[i + 1]!))) {
      at = i;
      break;
    }
  }
  if (at <= 0 || authority.slice(0, at) === MASK) return scheme + authority;
  return `${scheme}${MASK}${authority.slice(at)}`;
}

function maskQuery(_match: string, before: string, query: string): string {
  const items = query.split(/([&;])/).map((item, i) => {
    if (i % 2 === 1 || item === '' || item === MASK) return item; // separators, empty items
    const eq = item.indexOf('=');
    if (eq < 0) return isVisibleQueryKey(item) ? item : MASK;
    const key = item.slice(0, eq);
    return isVisibleQueryKey(key) || item.slice(eq + 1) === '' ? item : `${key}=${MASK}`;
  });
  return `${before}?${items.join('')}`;
}

/**
 * Mask credentials in a URL or in any text containing URLs, even malformed ones: the userinfo
 * (rtsp://admin:pw@cam/x → rtsp://***@cam/x, also rtsp:/…, rtsp//…, admin:pw@cam) and every query value
 * whose key is not allow-listed (?token=abc&channel=1 → ?token=***&channel=1).
 */
export function redactUrls(text: string): string {
  return text
    .replace(URL_AUTHORITY, maskUserinfo)
    .replace(BARE_USERINFO, (m, lead: string, userinfo: string) => (userinfo === MASK ? m : `${lead}${MASK}@`))
    .replace(URL_QUERY, maskQuery);
}

export class Redactor {
  // A real private field: util.inspect and console.log never see it.
  readonly #secrets: string[];

  /** `secrets`: strings that must disappear wherever they appear (passwords, user names, tokens). */
  constructor(secrets: Iterable<string> = []) {
    const all = new Set<string>();
    for (const secret of secrets) {
      if (!secret) continue;
      all.add(secret);
      // The same secret may be printed percent-encoded or decoded, whichever form it was configured in.
      all.add(encodeURIComponent(secret));
      try {
        all.add(decodeURIComponent(secret));
      } catch {
        /* not percent-encoded */
      }
    }
    // Longest first, so a secret containing another is masked whole.
    this.#secrets = [...all].filter((s) => s.length >= MIN_BARE_SECRET_CHARS).sort((a, b) => b.length - a.length);
  }

  /**
   * A Redactor for a source URL (well-formed or not): masks its whole userinfo (a user name alone can be a token),
   * user name, password, their Basic-auth form, and every query value that is not allow-listed.
   */
  static forUrl(url: string | undefined, extraSecrets: Iterable<string> = []): Redactor {
    return new Redactor([...extraSecrets, ...(url ? urlSecrets(url) : [])]);
  }

  redact(text: string): string {
    let out = text;
    for (const secret of this.#secrets) out = out.split(secret).join(MASK);
    return redactUrls(out);
  }

  /**
   * For a text that was cut at its end (a line too long to keep whole): the cut may have split a secret or a URL
   * so that neither half matches, so the unfinished last word, an unfinished URL authority, and a trailing start of
   * a known secret are masked too.
   */
  redactCut(text: string): string {
    let out = this.redact(text).replace(OPEN_AUTHORITY_AT_END, `$1${MASK}`);
    out = out.replace(/\S+$/, (word) => (word.endsWith(MASK) ? word : MASK));
    for (const secret of this.#secrets) {
      if (!/\s/.test(secret)) continue; // without whitespace, the masked last word covered it
      for (let k = Math.min(secret.length - 1, out.length); k > 0; k--) {
        if (out.endsWith(secret.slice(0, k))) {
          out = out.slice(0, out.length - k) + MASK;
          break;
        }
      }
    }
    return out;
  }

  /** console.log(redactor) must not print what it hides. */
  [inspect.custom](): string {
    return `Redactor { secrets: ${this.#secrets.length} (hidden) }`;
  }
}
