import assert from 'node:assert/strict'
import { test } from 'node:test'
import fc from 'fast-check'
import { LocalProtocolError } from '../errors.js'
import {
  decode,
  decodePrefix,
  decodeWithSpans,
  dictGetBytes,
  dictGetDict,
  dictGetInt,
  dictGetList,
  dictGetString,
  dictOf,
  encode,
  isBDict,
  keyFromBytes,
  keyFromText,
  keyToBytes,
  type BDict,
  type BEncodable,
  type BencodeErrorCode,
  type BValue,
  type DecodeOptions,
} from './bencode.js'

/** Bytes of a latin1 fixture string: one byte per char, so binary keys read plainly. */
const bin = (text: string): Uint8Array => Uint8Array.from(text, (c) => c.charCodeAt(0))
const utf8 = (text: string): Uint8Array => new TextEncoder().encode(text)
const latin1 = (bytes: Uint8Array): string => keyFromBytes(bytes)

const decodeOk = (text: string, options?: DecodeOptions): BValue => {
  const result = decode(bin(text), options)
  assert.ok(result.ok, `${text}: ${result.ok ? '' : result.error.code}`)
  return result.value
}

/** `code@offset`, or `ok`: one string per case keeps the fixture tables readable. */
const outcome = (text: string, options?: DecodeOptions): string => {
  const result = decode(bin(text), options)
  return result.ok ? 'ok' : `${result.error.code}@${result.error.offset}`
}

// --- vectors ------------------------------------------------------------------------------------

test('decodes and re-encodes the BEP 3 examples', () => {
  const vectors: [string, BValue][] = [
    ['4:spam', utf8('spam')],
    ['0:', new Uint8Array(0)],
    ['i3e', 3],
    ['i-3e', -3],
    ['i0e', 0],
    ['l4:spam4:eggse', [utf8('spam'), utf8('eggs')]],
    ['le', []],
    [
      'd3:cow3:moo4:spam4:eggse',
      new Map<string, BValue>([
        ['cow', utf8('moo')],
        ['spam', utf8('eggs')],
      ]),
    ],
    ['d4:spaml1:a1:bee', new Map<string, BValue>([['spam', [utf8('a'), utf8('b')]]])],
    ['de', new Map()],
    ['i9007199254740991e', Number.MAX_SAFE_INTEGER],
    ['i-9007199254740991e', -Number.MAX_SAFE_INTEGER],
  ]
  for (const [text, value] of vectors) {
    assert.deepEqual(decodeOk(text), value, text)
    assert.equal(latin1(encode(value)), text)
  }
})

test('encodes a BEP 5 ping query byte for byte', () => {
  const ping = dictOf({
    t: 'aa',
    y: 'q',
    q: 'ping',
    a: dictOf({ id: 'abcdefghij0123456789' }),
    absent: undefined,
  })
  assert.equal(latin1(encode(ping)), 'd1:ad2:id20:abcdefghij0123456789e1:q4:ping1:t2:aa1:y1:qe')
})

// --- rejections ---------------------------------------------------------------------------------

test('rejects every non-canonical or malformed input with its code and offset', () => {
  const cases: [string, `${BencodeErrorCode}@${number}`][] = [
    ['', 'truncated@0'],
    ['i03e', 'leading_zero@1'],
    ['i00e', 'leading_zero@1'],
    ['i-03e', 'leading_zero@2'],
    ['i-0e', 'negative_zero@1'],
    ['ie', 'unexpected_byte@1'],
    ['i-e', 'unexpected_byte@2'],
    ['i+1e', 'unexpected_byte@1'],
    ['i 1e', 'unexpected_byte@1'],
    ['i1.5e', 'unexpected_byte@2'],
    ['i--1e', 'unexpected_byte@2'],
    ['i12', 'truncated@3'],
    ['i', 'truncated@1'],
    ['i9007199254740992e', 'integer_out_of_range@0'],
    ['i-9007199254740992e', 'integer_out_of_range@0'],
    ['i123456789012345678901234567890e', 'integer_out_of_range@0'],
    ['03:abc', 'leading_zero@0'],
    ['00:', 'leading_zero@0'],
    ['-1:a', 'unexpected_byte@0'],
    ['3abc', 'unexpected_byte@1'],
    ['5:abc', 'truncated@0'],
    ['12', 'truncated@2'],
    ['99999999999999999999:a', 'too_large@0'],
    ['l', 'truncated@1'],
    ['li1e', 'truncated@4'],
    ['d', 'truncated@1'],
    ['d1:a', 'truncated@4'],
    ['d1:ae', 'unexpected_byte@4'],
    ['di1e0:e', 'unexpected_byte@1'],
    ['dle0:e', 'unexpected_byte@1'],
    ['d1:b0:1:a0:e', 'unsorted_keys@6'],
    ['d2:ab0:1:a0:e', 'unsorted_keys@7'],
    ['d1:a0:1:a0:e', 'duplicate_key@6'],
    ['d1:zi2e1:ai1ee', 'unsorted_keys@7'],
    ['d1:\x80i1e1:zi2ee', 'unsorted_keys@7'],
    ['i1ei2e', 'trailing_bytes@3'],
    ['lee', 'trailing_bytes@2'],
    ['4:spam\n', 'trailing_bytes@6'],
    ['e', 'unexpected_byte@0'],
    ['x', 'unexpected_byte@0'],
    ['lxe', 'unexpected_byte@1'],
  ]
  for (const [text, expected] of cases) assert.equal(outcome(text), expected, JSON.stringify(text))
})

test('dictionary keys sort as raw bytes, not as text', () => {
  // 0x80 sorts after 'z', and a key sorts after its own prefix.
  assert.equal(outcome('d1:zi2e1:\x80i1ee'), 'ok')
  assert.equal(outcome('d1:ai1e2:abi2ee'), 'ok')
  assert.equal(outcome('d0:i0e1:ai1ee'), 'ok')
})

test('a 100,000-deep list is too_deep, not a stack overflow', () => {
  const open = 'l'.repeat(100_000)
  assert.equal(outcome(open), 'too_deep@64')
  assert.equal(outcome(open + 'e'.repeat(100_000)), 'too_deep@64')
  assert.equal(outcome('d1:a'.repeat(100_000)), 'too_deep@256')
  // The decoder is iterative: with the limit lifted the same input decodes.
  const result = decode(bin(open + 'e'.repeat(100_000)), { depthMax: 100_000 })
  assert.ok(result.ok)
})

test('limits are overridable', () => {
  assert.equal(outcome('lli1eee', { depthMax: 1 }), 'too_deep@1')
  assert.equal(outcome('lli1eee', { depthMax: 2 }), 'ok')
  assert.equal(outcome('i1e', { depthMax: 0 }), 'ok')
  assert.equal(outcome('le', { depthMax: 0 }), 'too_deep@0')
  assert.equal(outcome('4:spam', { bytesMax: 5 }), 'too_large@5')
  assert.equal(outcome('4:spam', { bytesMax: 6 }), 'ok')
  // A declared length that could never fit is too_large, not merely truncated.
  assert.equal(outcome('9:abc', { bytesMax: 8 }), 'too_large@0')
  assert.equal(outcome('li1ei2ei3ee', { itemsMax: 3 }), 'too_many_items@7')
  assert.equal(outcome('li1ei2ei3ee', { itemsMax: 4 }), 'ok')
  // Keys count too: dict, key, value.
  assert.equal(outcome('d1:ai1ee', { itemsMax: 2 }), 'too_many_items@4')
  assert.equal(outcome('d1:ai1ee', { itemsMax: 3 }), 'ok')
})

// --- prefixes, spans, views ---------------------------------------------------------------------

test('decodePrefix reports where the value ended (ut_metadata data messages)', () => {
  const message = bin('d8:msg_typei1e5:piecei0ee') // then the raw piece
  const withData = new Uint8Array([...message, 1, 2, 3])
  const result = decodePrefix(withData)
  assert.ok(result.ok)
  assert.equal(result.value.end, message.length)
  assert.deepEqual(Array.from(withData.subarray(result.value.end)), [1, 2, 3])
  assert.equal(outcome('i1exyz', { allowTrailing: true }), 'ok')
  const truncated = decodePrefix(bin('d8:msg_typei1e'))
  assert.ok(!truncated.ok)
  assert.equal(truncated.error.code, 'truncated')
})

test('spanOf gives the original bytes of the info dictionary', () => {
  const info = 'd6:lengthi5e4:name1:a12:piece lengthi16384e6:pieces3:xyze'
  const torrent = bin(`d8:announce3:url4:info${info}e`)
  const result = decodeWithSpans(torrent)
  assert.ok(result.ok && isBDict(result.value.value))
  const infoDict = dictGetDict(result.value.value, 'info')
  assert.ok(infoDict !== undefined)
  const span = result.value.spanOf(infoDict)
  assert.ok(span !== undefined)
  assert.equal(latin1(torrent.subarray(span.start, span.end)), info)
  const pieces = dictGetBytes(infoDict, 'pieces')
  assert.ok(pieces !== undefined)
  const piecesSpan = result.value.spanOf(pieces)
  assert.ok(piecesSpan !== undefined)
  assert.equal(latin1(torrent.subarray(piecesSpan.start, piecesSpan.end)), '3:xyz')
  assert.deepEqual(result.value.spanOf(result.value.value), { start: 0, end: torrent.length })
  assert.equal(result.value.spanOf(5), undefined)
  assert.equal(result.value.spanOf(new Map()), undefined)
})

test('decoded byte strings are views into the input', () => {
  const input = bin('l3:abc2:dee')
  const result = decode(input)
  assert.ok(result.ok)
  const [view] = result.value as Uint8Array[]
  assert.ok(view !== undefined)
  assert.equal(view.buffer, input.buffer)
  assert.equal(view.byteOffset, 3)
  input[3] = 0x41 // the view sees the change: documented, and why callers slice() to keep
  assert.equal(latin1(view), 'Abc')
})

// --- encoding -----------------------------------------------------------------------------------

test('encode sorts keys by raw bytes and writes -0 as i0e', () => {
  const dict = new Map<string, BEncodable>([
    ['b', 1],
    ['\xff', 2],
    ['ab', 3],
    ['a', 4],
    ['', 5],
  ])
  assert.equal(latin1(encode(dict)), 'd0:i5e1:ai4e2:abi3e1:bi1e1:\xffi2ee')
  assert.equal(latin1(encode(-0)), 'i0e')
  assert.equal(latin1(encode([-0, 10, -10, 1e15])), 'li0ei10ei-10ei1000000000000000ee')
})

test('encode writes JavaScript strings as UTF-8', () => {
  assert.deepEqual(encode('é'), bin('2:\xc3\xa9'))
  assert.deepEqual(encode('\ud800'), bin('3:\xef\xbf\xbd')) // lone surrogate -> U+FFFD
  // Any UTF-16 unit (lone surrogates included), and any code point (surrogate pairs).
  const anyUnit = fc.integer({ min: 0, max: 0xffff }).map((code) => String.fromCharCode(code))
  const anyPoint = fc.integer({ min: 0, max: 0x10ffff }).map((code) => String.fromCodePoint(code))
  fc.assert(
    fc.property(fc.string({ unit: anyUnit }), fc.string({ unit: anyPoint }), (a, b) => {
      assert.deepEqual(encode([a, b]), encode([utf8(a), utf8(b)]))
    }),
  )
})

test('encode throws LocalProtocolError on values bencode cannot hold', () => {
  const bad: unknown[] = [
    1.5,
    Number.NaN,
    Number.POSITIVE_INFINITY,
    2 ** 53,
    new Map([['\u0100', 1]]),
    undefined,
    true,
    [null],
  ]
  for (const value of bad) {
    assert.throws(() => encode(value as BEncodable), LocalProtocolError, String(value))
  }
  const cyclic: BValue[] = []
  cyclic.push(cyclic)
  assert.throws(() => encode(cyclic), LocalProtocolError)
})

// --- helpers ------------------------------------------------------------------------------------

test('typed getters return undefined on a missing key or the wrong type', () => {
  const dict = decodeOk('d1:bi7e1:dde1:ll1:xe1:s4:spam1:u2:\xff\xfee') as BDict
  assert.equal(dictGetInt(dict, 'b'), 7)
  assert.deepEqual(dictGetDict(dict, 'd'), new Map())
  assert.deepEqual(dictGetList(dict, 'l'), [utf8('x')])
  assert.deepEqual(dictGetBytes(dict, 's'), utf8('spam'))
  assert.equal(dictGetString(dict, 's'), 'spam')
  assert.equal(dictGetString(dict, 'u'), undefined) // not valid UTF-8
  assert.deepEqual(dictGetBytes(dict, 'u'), bin('\xff\xfe'))
  for (const key of ['b', 'd', 'l', 's', 'missing']) {
    if (key !== 'b') assert.equal(dictGetInt(dict, key), undefined)
    if (key !== 'd') assert.equal(dictGetDict(dict, key), undefined)
    if (key !== 'l') assert.equal(dictGetList(dict, key), undefined)
    if (key !== 's') assert.equal(dictGetString(dict, key), undefined)
  }
})

test('keys convert between bytes, latin1 and UTF-8 text', () => {
  assert.equal(keyFromText('é'), '\xc3\xa9')
  assert.deepEqual(keyToBytes(keyFromText('é')), utf8('é'))
  assert.equal(keyToBytes('\u0100'), undefined)
  const long = new Uint8Array(10_000).map((_, i) => i & 0xff)
  assert.deepEqual(keyToBytes(keyFromBytes(long)), long)
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => {
      assert.deepEqual(keyToBytes(keyFromBytes(bytes)), bytes)
    }),
  )
})

// --- properties ---------------------------------------------------------------------------------

const keyArbitrary = fc.uint8Array({ maxLength: 6 }).map((bytes) => keyFromBytes(bytes))
const valueArbitrary: fc.Arbitrary<BValue> = fc.letrec<{
  value: BValue
  list: BValue[]
  dict: BDict
}>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.oneof(fc.integer(), fc.maxSafeInteger()),
    fc.uint8Array({ maxLength: 12 }),
    tie('list'),
    tie('dict'),
  ),
  list: fc.array(tie('value'), { maxLength: 5 }),
  dict: fc
    .uniqueArray(fc.tuple(keyArbitrary, tie('value')), { selector: (e) => e[0], maxLength: 5 })
    .map((entries) => new Map(entries)),
})).value

/** Loosely bencode-shaped text: canonical sometimes, and often not (zeros, order, repeats). */
const looseArbitrary: fc.Arbitrary<string> = fc.letrec<{ value: string; str: string }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small' },
    fc
      .tuple(fc.constantFrom('', '-'), fc.constantFrom('', '0'), fc.nat(1000))
      .map(([sign, zero, n]) => `i${sign}${zero}${n}e`),
    tie('str'),
    fc.array(tie('value'), { maxLength: 4 }).map((items) => `l${items.join('')}e`),
    fc
      .array(fc.tuple(tie('str'), tie('value')), { maxLength: 4 })
      .map((pairs) => `d${pairs.map(([k, v]) => k + v).join('')}e`),
  ),
  str: fc
    .tuple(fc.constantFrom('', '', '0'), fc.string({ unit: 'binary-ascii', maxLength: 3 }))
    .map(([zero, s]) => `${zero}${s.length}:${s}`),
})).value

const never = (bytes: Uint8Array): void => {
  try {
    decode(bytes)
    decodePrefix(bytes)
    decodeWithSpans(bytes, { depthMax: 8, itemsMax: 50 })
  } catch (error) {
    assert.fail(`decode threw ${String(error)} on ${latin1(bytes)}`)
  }
}

test('decode(encode(v)) deep-equals v', () => {
  fc.assert(
    fc.property(valueArbitrary, (value) => {
      const result = decode(encode(value))
      assert.ok(result.ok)
      assert.deepEqual(result.value, value)
    }),
    { numRuns: 300 },
  )
})

test('whatever decodes re-encodes to the same bytes (canonical)', () => {
  let decoded = 0
  fc.assert(
    fc.property(looseArbitrary, (text) => {
      const bytes = bin(text)
      const result = decode(bytes)
      if (!result.ok) return
      decoded++
      assert.equal(latin1(encode(result.value)), text)
    }),
    { numRuns: 500 },
  )
  assert.ok(decoded > 50, `only ${decoded} of 500 loose inputs decoded`)
})

test('decode never throws on random bytes', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => never(bytes)),
    {
      numRuns: 500,
    },
  )
  const bencodeAlphabet = fc.constantFrom(...'0123456789:-ildexa'.split(''))
  fc.assert(
    fc.property(fc.array(bencodeAlphabet, { maxLength: 80 }), (chars) =>
      never(bin(chars.join(''))),
    ),
    { numRuns: 500 },
  )
})

test('decode never throws on mutated encodings, and what still decodes is canonical', () => {
  const mutation = fc.record({
    kind: fc.constantFrom('flip', 'insert', 'delete', 'truncate'),
    at: fc.nat(),
    byte: fc.constantFrom(0x30, 0x31, 0x39, 0x3a, 0x2d, 0x64, 0x65, 0x69, 0x6c, 0x00, 0xff),
  })
  fc.assert(
    fc.property(valueArbitrary, fc.array(mutation, { minLength: 1, maxLength: 3 }), (v, edits) => {
      let bytes = Array.from(encode(v))
      for (const { kind, at, byte } of edits) {
        const index = at % (bytes.length + 1)
        if (kind === 'flip' && index < bytes.length) bytes[index] = byte
        if (kind === 'insert') bytes.splice(index, 0, byte)
        if (kind === 'delete') bytes.splice(index, 1)
        if (kind === 'truncate') bytes = bytes.slice(0, index)
      }
      const mutated = Uint8Array.from(bytes)
      never(mutated)
      const result = decode(mutated)
      if (result.ok) assert.deepEqual(encode(result.value), mutated)
    }),
    { numRuns: 500 },
  )
})

test('the span of every nested value is its encoding', () => {
  fc.assert(
    fc.property(valueArbitrary, (value) => {
      const bytes = encode(value)
      const result = decodeWithSpans(bytes)
      assert.ok(result.ok)
      const { spanOf } = result.value
      const visit = (node: BValue): void => {
        const span = spanOf(node)
        if (typeof node === 'number') return assert.equal(span, undefined)
        assert.ok(span !== undefined)
        assert.deepEqual(bytes.subarray(span.start, span.end), encode(node))
        if (Array.isArray(node)) node.forEach(visit)
        else if (node instanceof Map) node.forEach(visit)
      }
      visit(result.value.value)
    }),
    { numRuns: 300 },
  )
})

test('allowUnsortedKeys accepts keys out of order but still refuses duplicates', () => {
  const unsorted = utf8('d1:bi1e1:ai2ee')
  assert.equal(decode(unsorted).ok, false)
  const lenient = decode(unsorted, { allowUnsortedKeys: true })
  assert.ok(lenient.ok)
  assert.equal(dictGetInt(lenient.value as Map<string, never>, 'a'), 2)
  const duplicate = decode(utf8('d1:bi1e1:ai2e1:bi3ee'), { allowUnsortedKeys: true })
  assert.ok(!duplicate.ok && duplicate.error.code === 'duplicate_key')
})
