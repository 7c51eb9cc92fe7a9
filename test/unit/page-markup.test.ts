import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { test } from 'vitest';

const dir = new URL('../../web/public/', import.meta.url);
const pages = readdirSync(dir).filter((f) => f.endsWith('.html'));

// The Content-Security-Policy allows no inline script or style: the markup must not need them.
test('the pages carry no inline scripts, styles or event handlers', () => {
  assert.ok(pages.length >= 3);
  for (const page of pages) {
    const html = readFileSync(new URL(page, dir), 'utf8');
    for (const m of html.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/gi)) {
      assert.match(m[1]!, /\bsrc=/, `${page}: every <script> has a src`);
      assert.equal(m[2]!.trim(), '', `${page}: no inline script body`);
    }
    assert.doesNotMatch(html, /<style\b/i, `${page}: no <style> element`);
    assert.doesNotMatch(html, /\sstyle\s*=/i, `${page}: no style attribute`);
    assert.doesNotMatch(html, /\son[a-z]+\s*=/i, `${page}: no inline event handler`);
    assert.doesNotMatch(html, /javascript:/i, `${page}: no javascript: URL`);
  }
});
