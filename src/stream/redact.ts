// Camera credentials must never reach a log line, error, event or stat. ffmpeg echoes the input URL in its
// messages, so every text that leaves this layer goes through a Redactor built from the configured URL.

const MASK = '***';

// scheme://userinfo@ — greedy up to the last '@' of the authority, so "user:p@ss@host" is masked whole.
const USERINFO = /([a-z][a-z0-9+.-]*:\/\/)[^\s/?#@]*(?:@[^\s/?#@]*)*@/gi;
// Credentials some cameras take in the query string (?user=admin&password=…).
const SECRET_QUERY = /([?&;](?:user(?:name)?|pass(?:word|wd)?|pwd|token|auth|key|secret|signature|sig)=)[^&;#\s]*/gi;

/** Mask credentials in a URL or in any text containing URLs, e.g. rtsp://admin:pw@cam/x → rtsp://***@cam/x. */
export function redactUrls(text: string): string {
  return text.replace(USERINFO, `$1${MASK}@`).replace(SECRET_QUERY, `$1${MASK}`);
}

export class Redactor {
  private readonly secrets: string[];

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
    this.secrets = [...all].filter((s) => s.length > 0).sort((a, b) => b.length - a.length);
  }

  /** A Redactor for a source URL: masks its user name, password, their Basic-auth form and secret query values. */
  static forUrl(url: string | undefined, extraSecrets: Iterable<string> = []): Redactor {
    const secrets: string[] = [...extraSecrets];
    if (url) {
      try {
        const parsed = new URL(url);
        const user = decodeURIComponentSafe(parsed.username);
        const password = decodeURIComponentSafe(parsed.password);
        if (password) secrets.push(password, parsed.password);
        if (user && password) secrets.push(Buffer.from(`${user}:${password}`).toString('base64'));
        for (const [key, value] of parsed.searchParams) {
          if (value && /^(user(name)?|pass(word|wd)?|pwd|token|auth|key|secret|signature|sig)$/i.test(key)) secrets.push(value);
        }
      } catch {
        /* not a URL: only the generic patterns apply */
      }
    }
    return new Redactor(secrets);
  }

  redact(text: string): string {
    let out = redactUrls(text);
    for (const secret of this.secrets) out = out.split(secret).join(MASK);
    return out;
  }
}

function decodeURIComponentSafe(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}
