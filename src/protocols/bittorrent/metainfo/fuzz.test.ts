/**
 * Hostile input: parseMetainfo, parseInfoDict and parseMagnet must never throw, and whatever
 * they accept must satisfy the invariants the rest of the stack relies on.
 */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import fc from 'fast-check'
import { dictOf, type BEncodable } from '../../../core/codec/bencode.js'
import {
  checkInvariants,
  fakePieces,
  fileOf,
  multiFileInfo,
  nodeHashing,
  singleFileInfo,
  torrentOf,
} from './fixtures.test.js'
import { formatMagnet, parseMagnet } from './magnet.js'
import { parseInfoDict, parseMetainfo } from './parse.js'

const CORPUS = [
  torrentOf(singleFileInfo(), { announce: 'http://a/', 'url-list': 'http://w/' }),
  torrentOf(multiFileInfo({ private: 1 }), { 'announce-list': [['http://a/'], ['udp://b:1']] }),
  torrentOf(
    multiFileInfo({
      files: [fileOf(['a'], 100), dictOf({ attr: 'p', length: 16284 }), fileOf(['b'], 3619)],
      'meta version': 2,
      'file tree': dictOf({}),
    }),
  ),
]

type Mutation =
  | { kind: 'set'; at: number; byte: number }
  | { kind: 'delete'; at: number; length: number }
  | { kind: 'insert'; at: number; bytes: Uint8Array }

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant('set' as const), at: fc.nat(), byte: fc.nat(255) }),
  fc.record({ kind: fc.constant('delete' as const), at: fc.nat(), length: fc.nat(8) }),
  fc.record({
    kind: fc.constant('insert' as const),
    at: fc.nat(),
    bytes: fc.oneof(
      fc.uint8Array({ maxLength: 6 }),
      fc.constantFrom(...'0123456789:iedl').map((c) => Uint8Array.of(c.charCodeAt(0))),
    ),
  }),
)

function mutate(input: Uint8Array, m: Mutation): Uint8Array {
  const at = m.at % (input.length + 1)
  const bytes = Array.from(input)
  if (m.kind === 'set' && at < bytes.length) bytes[at] = m.byte
  if (m.kind === 'delete') bytes.splice(at, m.length)
  if (m.kind === 'insert') bytes.splice(at, 0, ...m.bytes)
  return Uint8Array.from(bytes)
}

test('parseMetainfo and parseInfoDict never throw on arbitrary bytes', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 400 }), (bytes) => {
      const a = parseMetainfo(bytes, nodeHashing)
      if (a.ok) checkInvariants(a.value)
      const b = parseInfoDict(bytes, nodeHashing)
      if (b.ok) checkInvariants(b.value)
    }),
    { numRuns: 2000 },
  )
})

test('mutated valid torrents never throw, and anything accepted is consistent', () => {
  fc.assert(
    fc.property(
      fc.constantFrom(...CORPUS),
      fc.array(mutation, { minLength: 1, maxLength: 4 }),
      (torrent, mutations) => {
        const mutated = mutations.reduce(mutate, torrent)
        const result = parseMetainfo(mutated, nodeHashing)
        if (result.ok) checkInvariants(result.value)
      },
    ),
    { numRuns: 3000 },
  )
})

/** Any bencodable value, biased towards what the parser looks for. */
const { value: bvalue } = fc.letrec<{ value: BEncodable }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small' },
    fc.integer({ min: -(2 ** 52), max: 2 ** 52 }),
    fc.constantFrom(0, 1, -1, 2, 3, 16384, 2 ** 50),
    fc.constantFrom('', '.', '..', '/', 'a/b', '\\', 'a\0', 'p', 'x', 'ok', '%41'),
    fc.uint8Array({ maxLength: 41 }),
    fc.array(tie('value'), { maxLength: 4 }),
    fc
      .dictionary(fc.constantFrom('length', 'path', 'attr', 'path.utf-8', 'z'), tie('value'), {
        maxKeys: 4,
      })
      .map((fields) => dictOf(fields)),
  ),
}))

const INFO_KEYS = [
  'files',
  'length',
  'meta version',
  'name',
  'name.utf-8',
  'piece length',
  'pieces',
  'private',
] as const

test('info dictionaries with random values at the known keys never throw', () => {
  const overrides = fc.dictionary(
    fc.constantFrom(...INFO_KEYS),
    fc.option(bvalue, { nil: undefined }),
  )
  fc.assert(
    fc.property(fc.boolean(), overrides, (single, fields) => {
      const base = single ? singleFileInfo() : multiFileInfo()
      const result = parseMetainfo(torrentOf({ ...base, ...fields }), nodeHashing)
      if (result.ok) checkInvariants(result.value)
    }),
    { numRuns: 2000 },
  )
})

test('random file lists never throw', () => {
  fc.assert(
    fc.property(fc.array(bvalue, { maxLength: 5 }), fc.nat(4), (files, hashes) => {
      const info = multiFileInfo({ files, pieces: fakePieces(hashes), 'piece length': 1 })
      const result = parseMetainfo(torrentOf(info), nodeHashing)
      if (result.ok) checkInvariants(result.value)
    }),
    { numRuns: 2000 },
  )
})

const magnetText = fc.string({
  unit: fc.constantFrom(
    ...'&=%+:?#.[]0123456789abcdefABCDEF xtdnrwspe'.split(''),
    'urn:btih:',
    'c12fe1c06bba254a9dc9f519b335aa7c1367a88a',
    'urn:btmh:1220',
    'c12fe1c06bba254a9dc9f519b335aa7c1367a88a0123456789abcdef01234567',
    'xt=',
    'x.pe=',
    '%C3',
    'é',
  ),
  maxLength: 120,
})

test('parseMagnet never throws; what it accepts formats and parses back the same', () => {
  fc.assert(
    fc.property(
      fc.oneof(
        fc.string({ unit: 'binary' }),
        magnetText.map((s) => `magnet:?${s}`),
      ),
      (uri) => {
        const result = parseMagnet(uri)
        if (!result.ok) return
        const again = parseMagnet(formatMagnet(result.value))
        assert.ok(again.ok)
        assert.deepEqual(again.value, result.value)
      },
    ),
    { numRuns: 3000 },
  )
})
