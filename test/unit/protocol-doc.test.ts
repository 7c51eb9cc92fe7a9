import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'vitest';
import { CloseCodes, ErrorCodes, shouldReconnect } from '../../src/protocol/index.js';

const doc = readFileSync(new URL('../../docs/protocol.md', import.meta.url), 'utf8');

function section(title: string): string {
  const start = doc.indexOf(`## ${title}`);
  assert.ok(start >= 0, `docs/protocol.md has a "## ${title}" section`);
  const end = doc.indexOf('\n## ', start + 4);
  return doc.slice(start, end < 0 ? undefined : end);
}

function rows(text: string): string[][] {
  return text
    .split('\n')
    .filter((l) => /^\|\s*`?[A-Z0-9_]+`?\s*\|/.test(l))
    .map((l) => l.split('|').slice(1, -1).map((c) => c.trim().replace(/`/g, '')));
}

test('every error code in the catalog is documented with its HTTP status, and nothing else is', () => {
  const documented = new Map(rows(section('Error codes')).map(([code, status]) => [code!, Number(status)]));
  const inCode = new Map(Object.entries(ErrorCodes).map(([code, e]) => [code, e.status]));
  assert.deepEqual([...documented.keys()].sort(), [...inCode.keys()].sort());
  for (const [code, status] of inCode) assert.equal(documented.get(code), status, `status of ${code}`);
});

test('every close code is documented with its number and reconnect rule, and nothing else is', () => {
  const documented = rows(section('Close codes')).map(([num, name, reconnect]) => ({ num: Number(num), name, reconnect }));
  assert.deepEqual(
    documented.map((d) => d.name).sort(),
    Object.keys(CloseCodes).sort(),
  );
  for (const d of documented) {
    const c = CloseCodes[d.name as keyof typeof CloseCodes];
    assert.equal(d.num, c.code, `number of ${d.name}`);
    assert.equal(d.reconnect === 'yes', shouldReconnect(c.code), `reconnect rule of ${d.name}`);
    assert.equal(c.code < 4500, shouldReconnect(c.code), `${d.name} is in the range its rule says`);
  }
});

test('the documented frame header matches the encoder', async () => {
  const { FRAME_HEADER_BYTES, RELAYED_AT_OFFSET } = await import('../../src/protocol/index.js');
  assert.match(doc, new RegExp(`^${RELAYED_AT_OFFSET}\\s+8\\s+relayedAt`, 'm'));
  assert.match(doc, new RegExp(`^${FRAME_HEADER_BYTES}\\s+\\.\\.\\.\\s+JPEG bytes`, 'm'));
});
