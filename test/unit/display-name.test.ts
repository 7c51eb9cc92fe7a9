import assert from 'node:assert/strict';
import { describe, it } from 'vitest';
import { checkName, isNameReservedForBroadcaster, nameKey } from '../../src/protocol/index.js';

describe('checkName', () => {
  it('trims a name and folds white space inside it', () => {
    assert.deepEqual(checkName('  Ann \t', 32), { ok: true, name: 'Ann' });
    assert.deepEqual(checkName('\r\nAnn   Lee\n', 32), { ok: true, name: 'Ann Lee' });
    assert.deepEqual(checkName('', 32), { ok: true, name: '' });
    assert.deepEqual(checkName('   ', 32), { ok: true, name: '' });
  });

  it('keeps letters of every script, emoji and accents', () => {
    for (const name of ['Zoë', 'Ørjan', '李小龍', 'محمد', 'Ἀθηνᾶ', '🦊 fox', '❤️', 'e\u0301']) {
      assert.deepEqual(checkName(name, 32), { ok: true, name }, name);
    }
  });

  const bad: [string, string][] = [
    ['NUL', 'a\u0000b'],
    ['ESC (terminal escapes)', '\u001b[31mred'],
    ['CR/LF inside', 'a\r\nb'],
    ['TAB inside', 'a\tb'],
    ['DEL', 'a\u007fb'],
    ['C1 control', 'a\u0085b'],
    ['right-to-left override', 'evil\u202Egnp.exe'],
    ['left-to-right embedding', '\u202Aa'],
    ['pop directional formatting', 'a\u202C'],
    ['first strong isolate', 'a\u2068b\u2069'],
    ['left-to-right mark', 'a\u200E'],
    ['right-to-left mark', 'a\u200Fb'],
    ['Arabic letter mark', 'a\u061Cb'],
    ['zero-width space', 'Ann\u200B'],
    ['zero-width non-joiner', 'A\u200Cnn'],
    ['zero-width joiner', 'A\u200Dnn'],
    ['word joiner', 'A\u2060nn'],
    ['BOM inside', 'A\uFEFFnn'],
    ['soft hyphen', 'bro\u00ADadcaster'],
    ['Mongolian vowel separator', 'a\u180Eb'],
    ['tag character', 'a\u{E0041}'],
    ['line separator', 'a\u2028b'],
    ['paragraph separator', 'a\u2029b'],
    ['private use', 'a\uE000'],
    ['lone surrogate', 'a\uD800'],
    ['Hangul filler', '\u3164'],
    ['Hangul choseong filler', 'a\u115F'],
    ['braille blank', '\u2800\u2800'],
    ['combining grapheme joiner', 'a\u034Fb'],
  ];
  for (const [what, name] of bad) {
    it(`refuses a name with a ${what} as BAD_NAME`, () => {
      assert.deepEqual(checkName(name, 32), { ok: false, code: 'BAD_NAME' });
    });
  }

  it('measures the length after trimming', () => {
    assert.deepEqual(checkName(`  ${'a'.repeat(32)}  `, 32), { ok: true, name: 'a'.repeat(32) });
    assert.deepEqual(checkName('a'.repeat(33), 32), { ok: false, code: 'NAME_TOO_LONG' });
  });
});

describe("names that read as the broadcaster's", () => {
  it('are broadcaster and host in any case, width, spacing or punctuation', () => {
    for (const name of ['broadcaster', 'Broadcaster', 'BROAD CASTER', 'broad-caster', 'ｂｒｏａｄｃａｓｔｅｒ', 'Host', 'H.O.S.T.', '𝐇𝐨𝐬𝐭', 'host ✓']) {
      assert.ok(isNameReservedForBroadcaster(name, null), name);
    }
  });

  it("include the current broadcaster's own name, folded the same way", () => {
    assert.ok(isNameReservedForBroadcaster('ann lee', 'Ann Lee'));
    assert.ok(isNameReservedForBroadcaster('ＡＮＮ-LEE', 'Ann Lee'));
    assert.ok(!isNameReservedForBroadcaster('Ann', 'Ann Lee'));
    assert.ok(!isNameReservedForBroadcaster('Ann', null));
  });

  it('leave other names alone, including ones that merely contain a reserved word', () => {
    for (const name of ['Hostess', 'ghost', 'viewer-1234', '', '!!!']) assert.ok(!isNameReservedForBroadcaster(name, 'broadcaster'), name);
  });

  it('are compared by a key without case, width, spaces or punctuation', () => {
    assert.equal(nameKey(' Ｂroad-Caster! '), 'broadcaster');
  });
});
