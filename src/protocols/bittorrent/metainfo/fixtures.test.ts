/**
 * Shared test helpers: a Hashing port on node:crypto (tests may use node:*; the code under test
 * may not) and small builders for torrent fixtures. It is a `.test.ts` file so that the
 * architecture scanner treats it as test code. It declares no tests of its own: every test file
 * that imports it would run them again.
 */
import { createHash } from 'node:crypto'
import { concatBytes } from '../../../core/bytes.js'
import { dictOf, encode, type BEncodable } from '../../../core/codec/bencode.js'
import type { Hashing } from '../../../core/env.js'
import assert from 'node:assert/strict'
import { DEFAULT_METAINFO_LIMITS } from './limits.js'
import { checkComponent } from './path.js'
import type { Metainfo } from './types.js'

function digest(algorithm: 'sha1' | 'sha256', parts: readonly Uint8Array[]): Uint8Array {
  const hash = createHash(algorithm)
  for (const part of parts) hash.update(part)
  return new Uint8Array(hash.digest())
}

export const nodeHashing: Hashing = {
  sha1: (parts) => digest('sha1', parts),
  sha256: (parts) => digest('sha256', parts),
}

export const sha1 = (bytes: Uint8Array): Uint8Array => digest('sha1', [bytes])

/** Concatenates fixture parts: strings as UTF-8 (plain ASCII in hand-written bencode). */
export function bytes(...parts: (string | Uint8Array)[]): Uint8Array {
  return concatBytes(parts.map((p) => (typeof p === 'string' ? new TextEncoder().encode(p) : p)))
}

/** `count` distinct fake piece hashes (the parser never checks them against content). */
export function fakePieces(count: number): Uint8Array {
  return Uint8Array.from({ length: count * 20 }, (_, i) => (i * 7 + 3) & 0xff)
}

type Fields = Readonly<Record<string, BEncodable | undefined>>

/** A valid two-file info dictionary (3 + 20000 bytes, 16 KiB pieces), with overrides. */
export function multiFileInfo(overrides: Fields = {}): Fields {
  return {
    files: [dictOf({ length: 3, path: ['a.txt'] }), dictOf({ length: 20000, path: ['dir', 'b'] })],
    name: 'root',
    'piece length': 16384,
    pieces: fakePieces(2),
    ...overrides,
  }
}

/** A valid single-file info dictionary (5 bytes in one piece), with overrides. */
export function singleFileInfo(overrides: Fields = {}): Fields {
  return { length: 5, name: 'a.txt', 'piece length': 16384, pieces: fakePieces(1), ...overrides }
}

/** A canonical .torrent holding `info` (fields; undefined ones left out) and outer fields. */
export function torrentOf(info: Fields, outer: Fields = {}): Uint8Array {
  return encode(dictOf({ ...outer, info: dictOf(info) }))
}

/** A file entry for `files`. */
export const fileOf = (path: readonly string[], length: number, attr?: string): BEncodable =>
  dictOf({ attr, length, path })

/** A fake 32-byte pieces root (the parser checks it only against piece layers). */
export const ROOT = Uint8Array.from({ length: 32 }, (_, i) => i + 1)

/** A BEP 52 file tree leaf: `length` bytes, with `ROOT` unless the file is empty. */
export const leaf = (length: number): BEncodable =>
  dictOf({ '': dictOf({ length, 'pieces root': length === 0 ? undefined : ROOT }) })

/** A v2-only info dictionary around `tree` (16 KiB pieces, named 'root'), with overrides. */
export function v2Info(tree: Readonly<Record<string, BEncodable>>, overrides: Fields = {}): Fields {
  return {
    'file tree': dictOf(tree),
    'meta version': 2,
    name: 'root',
    'piece length': 16384,
    ...overrides,
  }
}

/** What every accepted metainfo must satisfy (the fuzz tests' oracle). */
export function checkInvariants(m: Metainfo): void {
  if (m.version !== 'v2') assert.deepEqual(m.infoHash, sha1(m.infoBytes))
  assert.equal(m.pieces.length, m.version === 'v2' ? 0 : m.pieceCount * 20)
  assert.ok(m.totalLength > 0)
  assert.equal(m.pieceCount, Math.ceil(m.totalLength / m.pieceLength))
  let offset = 0
  for (const file of m.files) {
    assert.equal(file.offset, offset)
    offset += file.length
    for (const part of file.path) {
      assert.equal(checkComponent(part, DEFAULT_METAINFO_LIMITS.componentBytesMax), undefined)
    }
  }
  assert.equal(offset, m.totalLength)
}
