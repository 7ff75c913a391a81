import assert from 'node:assert/strict'
import { test } from 'node:test'
import fc from 'fast-check'
import { firstValues } from './form-query.js'

/** What URLSearchParams gives, first value per key. */
function reference(text: string): Record<string, string> {
  const values: Record<string, string> = {}
  for (const [key, value] of new URLSearchParams(text)) {
    if (!Object.hasOwn(values, key)) Object.defineProperty(values, key, { value, enumerable: true })
  }
  return values
}

// Request targets are ASCII (non-ASCII arrives percent-encoded); on raw non-ASCII next to an
// escape, Node 20's URLSearchParams mangles the text, where this decoder keeps it (below).
test('reads an ASCII query exactly as URLSearchParams does (first value per key)', () => {
  const piece = fc.oneof(
    fc.constantFrom('%', '%2', '%ZZ', '%e0%a4%a', '%ff', '%EF%BB%BF', '+', '=', '&', '%3D', '%26'),
    fc.string({ unit: 'grapheme-ascii', maxLength: 4 }),
    fc
      .uint8Array({ maxLength: 4 })
      .map((bytes) => [...bytes].map((b) => `%${b.toString(16).padStart(2, '0')}`).join('')),
  )
  fc.assert(
    fc.property(fc.array(piece, { maxLength: 12 }), (pieces) => {
      const text = pieces.join('')
      assert.deepEqual({ ...firstValues(text) }, reference(text), JSON.stringify(text))
    }),
    { numRuns: 2000 },
  )
})

test('raw non-ASCII text is kept as its UTF-8 next to escapes (the WHATWG rule)', () => {
  assert.deepEqual({ ...firstValues('q=\u00e9%C3%A9%80') }, { q: '\u00e9\u00e9\ufffd' })
})

test('a repeated key keeps its first value; __proto__ is an ordinary key', () => {
  assert.deepEqual({ ...firstValues('q=%ZZ&a=1&a=2&b=x+y') }, { q: '%ZZ', a: '1', b: 'x y' })
  const tricky = firstValues('__proto__=1')
  assert.equal(Object.getPrototypeOf(tricky), null)
  assert.equal(tricky['__proto__'], '1')
})
