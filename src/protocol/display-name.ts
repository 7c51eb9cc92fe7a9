// Display names: one rule for the server (admission) and the pages (checked before connecting).

/**
 * Characters a name may not contain: they are invisible, or change how text around them is
 * shown, so they can hide or fake what a name says.
 * - Cc: C0 and C1 controls (NUL, ESC, CR, LF, TAB, DEL, ...)
 * - Cf: format characters: bidi embeddings, overrides and isolates (U+202A–U+202E,
 *   U+2066–U+2069), marks (U+200E, U+200F, U+061C), zero-width space/joiners (U+200B–U+200D),
 *   word joiner U+2060, BOM U+FEFF, soft hyphen, tag characters, ...
 * - Cs, Co: lone surrogates and private-use characters (no agreed glyph)
 * - Zl, Zp: line and paragraph separators
 * - fillers that render as blank: Hangul fillers (U+115F, U+1160, U+3164, U+FFA0), braille
 *   blank U+2800, combining grapheme joiner U+034F
 */
const FORBIDDEN = /[\p{Cc}\p{Cf}\p{Cs}\p{Co}\p{Zl}\p{Zp}\u115F\u1160\u3164\uFFA0\u2800\u034F]/u;

/** Names a viewer may never take (compared by `nameKey`): they read as the broadcaster. */
export const RESERVED_NAMES: readonly string[] = ['broadcaster', 'host'];

export type NameCheck = { ok: true; name: string } | { ok: false; code: 'BAD_NAME' | 'NAME_TOO_LONG' };

/**
 * Trims a requested name (white space at either end, line breaks included, goes), folds runs of
 * white space inside it into one space, and checks what is left. A bad name is refused, not
 * silently repaired, so the person choosing it sees why. '' is valid: the server assigns a name.
 */
export function checkName(raw: string, maxLength: number): NameCheck {
  const trimmed = raw.trim();
  if (FORBIDDEN.test(trimmed)) return { ok: false, code: 'BAD_NAME' };
  const name = trimmed.replace(/\s+/gu, ' ');
  if (name.length > maxLength) return { ok: false, code: 'NAME_TOO_LONG' };
  return { ok: true, name };
}

/**
 * What two names are compared by: compatibility-normalised (full-width and styled letters fold to
 * plain ones), case-folded, with white space, punctuation and symbols removed. "Broad-Caster",
 * "ＨＯＳＴ" and "host ✓" all read as a reserved name. Look-alike letters from other scripts
 * (Cyrillic "а" for Latin "a") are not folded: the host badge, which only the broadcaster's
 * connection gets, is what proves who is who.
 */
export function nameKey(name: string): string {
  return name
    .normalize('NFKC')
    .toLowerCase()
    .replace(/[\s\p{P}\p{S}]/gu, '');
}

/** Whether a viewer may show this name in a room whose broadcaster is called `broadcasterName`. */
export function isNameReservedForBroadcaster(name: string, broadcasterName: string | null): boolean {
  const key = nameKey(name);
  if (key === '') return false;
  if (RESERVED_NAMES.includes(key)) return true;
  return broadcasterName !== null && key === nameKey(broadcasterName);
}
