/**
 * A customer's name is outside input (a checkout form, a platform's API) that an email shows as our own words, in
 * the subject and the greeting. A name that cannot be shown as written is not shown at all: the email greets the
 * customer with its default instead ("Hi there"), which is what it does for a customer with no name.
 */

/** Longer than almost every real first name; a longer one is a sentence, an address or an attack. */
export const maxGreetingNameLength = 40;

/**
 * Characters that make a name lie about itself: C0/C1 controls (line breaks, escape sequences), the bidirectional
 * embeddings, overrides and isolates (U+202A-U+202E, U+2066-U+2069) and marks (U+200E, U+200F, U+061C) that can make
 * "moc.evil" read as "evil.com", line and paragraph separators, zero-width spaces and the byte order mark, private-use
 * and unassigned code points, and lone surrogates. Zero-width (non-)joiners stay: Persian and Indic names need them.
 */
const unshowable = /[\p{Cc}\p{Zl}\p{Zp}\p{Co}\p{Cn}\p{Cs}\u061C\u200B\u200E\u200F\u202A-\u202E\u2060\u2066-\u2069\uFEFF]/u;

/**
 * Anything that a mail client might turn into a link, or a reader take for one: a scheme, "www.", an "@", or a dot
 * followed at once by letters ("evil.com", "bit.ly/x"). A rare real name such as "St.John" is greeted by the default.
 */
const linkLike = /(?:[a-z][a-z0-9+.-]*:\/\/|\b(?:https?|ftp|mailto|javascript|data):|www\.|@|[\p{L}\p{N}_-]\.\p{L}{2,}|\/\/)/iu;

/**
 * The first name as an email may show it, or undefined when there is none fit to show. The name is normalised (NFC,
 * whitespace collapsed) and refused whole, never trimmed into something else: a cut name or one with its bad
 * characters removed could still be a message.
 */
export function greetingName(name: string | undefined): string | undefined {
  if (typeof name !== 'string') return undefined;
  const normalized = name
    .normalize('NFC')
    .replace(/[ \u00A0\u1680\u2000-\u200A\u202F\u205F\u3000]+/g, ' ')
    .trim();
  if (normalized === '') return undefined;
  if ([...normalized].length > maxGreetingNameLength) return undefined;
  if (unshowable.test(normalized) || linkLike.test(normalized)) return undefined;
  return normalized;
}
