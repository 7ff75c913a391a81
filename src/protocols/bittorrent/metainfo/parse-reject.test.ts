import assert from 'node:assert/strict'
import { test } from 'node:test'
import { dictOf, encode, keyFromBytes } from '../../../core/codec/bencode.js'
import type { MetainfoErrorCode } from './errors.js'
import {
  bytes,
  fakePieces,
  fileOf,
  leaf,
  multiFileInfo,
  nodeHashing,
  ROOT,
  singleFileInfo,
  torrentOf,
  v2Info,
} from './fixtures.test.js'
import type { MetainfoLimits } from './limits.js'
import { parseMetainfo } from './parse.js'

type Case = readonly [label: string, torrent: Uint8Array, code: MetainfoErrorCode]

/** A multi-file torrent whose second file has `path`. */
const withPath = (path: readonly string[]): Uint8Array =>
  torrentOf(multiFileInfo({ files: [fileOf(['a.txt'], 3), fileOf(path, 20000)] }))

const withName = (name: string, single: boolean): Uint8Array =>
  torrentOf(single ? singleFileInfo({ name }) : multiFileInfo({ name }))

const STRUCTURE: Case[] = [
  ['not bencode', bytes('hello'), 'not_bencode'],
  ['truncated', torrentOf(singleFileInfo()).subarray(0, 40), 'not_bencode'],
  ['duplicate keys', bytes('d4:infod4:name1:a4:name1:bee'), 'not_bencode'],
  ['top level is a list', bytes('le'), 'not_a_dict'],
  ['no info', encode(dictOf({ announce: 'http://a/' })), 'missing_key'],
  ['info is an integer', encode(dictOf({ info: 3 })), 'not_a_dict'],
  ['no name', torrentOf(singleFileInfo({ name: undefined })), 'missing_key'],
  ['name is an integer', torrentOf(singleFileInfo({ name: 7 })), 'wrong_type'],
  ['no piece length', torrentOf(singleFileInfo({ 'piece length': undefined })), 'missing_key'],
  ['piece length string', torrentOf(singleFileInfo({ 'piece length': '16' })), 'wrong_type'],
  ['piece length 0', torrentOf(singleFileInfo({ 'piece length': 0 })), 'bad_piece_length'],
  ['piece length -1', torrentOf(singleFileInfo({ 'piece length': -1 })), 'bad_piece_length'],
  [
    'piece length 1 GiB',
    torrentOf(singleFileInfo({ 'piece length': 2 ** 30 })),
    'bad_piece_length',
  ],
  ['no pieces', torrentOf(singleFileInfo({ pieces: undefined })), 'missing_key'],
  ['pieces integer', torrentOf(singleFileInfo({ pieces: 20 })), 'wrong_type'],
  ['pieces % 20', torrentOf(singleFileInfo({ pieces: fakePieces(1).subarray(1) })), 'bad_pieces'],
  ['too few hashes', torrentOf(multiFileInfo({ pieces: fakePieces(1) })), 'piece_count_mismatch'],
  ['too many hashes', torrentOf(multiFileInfo({ pieces: fakePieces(3) })), 'piece_count_mismatch'],
  ['length and files', torrentOf(multiFileInfo({ length: 5 })), 'length_and_files'],
  ['neither', torrentOf(singleFileInfo({ length: undefined })), 'missing_key'],
  ['negative length', torrentOf(singleFileInfo({ length: -5 })), 'bad_length'],
  ['length is a string', torrentOf(singleFileInfo({ length: '5' })), 'wrong_type'],
  ['huge length', torrentOf(singleFileInfo({ length: 2 ** 51 })), 'too_large'],
  ['empty single file', torrentOf(singleFileInfo({ length: 0, pieces: '' })), 'empty_torrent'],
]

const FILES: Case[] = [
  ['files not a list', torrentOf(multiFileInfo({ files: 'x' })), 'wrong_type'],
  ['files empty', torrentOf(multiFileInfo({ files: [] })), 'no_files'],
  ['entry not a dict', torrentOf(multiFileInfo({ files: [3] })), 'wrong_type'],
  [
    'entry no length',
    torrentOf(multiFileInfo({ files: [dictOf({ path: ['a'] })] })),
    'missing_key',
  ],
  ['entry no path', torrentOf(multiFileInfo({ files: [dictOf({ length: 1 })] })), 'missing_key'],
  [
    'path not a list',
    torrentOf(multiFileInfo({ files: [dictOf({ length: 1, path: 'a' })] })),
    'wrong_type',
  ],
  [
    'path of ints',
    torrentOf(multiFileInfo({ files: [dictOf({ length: 1, path: [1] })] })),
    'wrong_type',
  ],
  ['negative file length', torrentOf(multiFileInfo({ files: [fileOf(['a'], -1)] })), 'bad_length'],
  [
    'sum beyond the limit',
    torrentOf(multiFileInfo({ files: [fileOf(['a'], 2 ** 49), fileOf(['b'], 2 ** 49 + 1)] })),
    'too_large',
  ],
  [
    'all files empty',
    torrentOf(multiFileInfo({ files: [fileOf(['a'], 0), fileOf(['b'], 0)], pieces: '' })),
    'empty_torrent',
  ],
  ['empty path list', withPath([]), 'path_empty'],
  ['../x as a list', withPath(['..', 'x']), 'path_traversal'],
  ['../x as one component', withPath(['../x']), 'path_separator'],
  ['.', withPath(['.']), 'path_traversal'],
  ['.. at the end', withPath(['dir', '..']), 'path_traversal'],
  ['/abs', withPath(['/abs']), 'path_absolute'],
  ['/etc/passwd in one', withPath(['/etc/passwd']), 'path_absolute'],
  ['a/b inside a component', withPath(['a/b']), 'path_separator'],
  ['empty component', withPath(['dir', '']), 'path_empty'],
  ['lone backslash', withPath(['\\']), 'path_absolute'],
  ['..\\x', withPath(['..\\x']), 'path_separator'],
  ['backslash inside', withPath(['a\\b']), 'path_separator'],
  ['NUL', withPath(['a\0b']), 'path_nul'],
  ['too deep', withPath(Array.from({ length: 65 }, () => 'd')), 'path_too_deep'],
  ['component too long', withPath(['x'.repeat(256)]), 'path_too_long'],
  ['path too long', withPath(Array.from({ length: 20 }, () => 'y'.repeat(250))), 'path_too_long'],
  [
    'unsafe path.utf-8 wins over a safe path',
    torrentOf(multiFileInfo({ files: [dictOf({ length: 1, path: ['a'], 'path.utf-8': ['..'] })] })),
    'path_traversal',
  ],
]

const NAMES: Case[] = [
  ...[true, false].flatMap((single): Case[] => {
    const form = single ? 'single' : 'multi'
    return [
      [`${form}: name ..`, withName('..', single), 'path_traversal'],
      [`${form}: name .`, withName('.', single), 'path_traversal'],
      [`${form}: name empty`, withName('', single), 'path_empty'],
      [`${form}: name /abs`, withName('/abs', single), 'path_absolute'],
      [`${form}: name \\`, withName('\\', single), 'path_absolute'],
      [`${form}: name a/b`, withName('a/b', single), 'path_separator'],
      [`${form}: name ../x`, withName('../x', single), 'path_separator'],
      [`${form}: name NUL`, withName('a\0', single), 'path_nul'],
    ]
  }),
  [
    'unsafe name.utf-8 wins over a safe name',
    torrentOf(singleFileInfo({ 'name.utf-8': '..' })),
    'path_traversal',
  ],
]

const LAYOUT: Case[] = [
  [
    'duplicate path',
    torrentOf(multiFileInfo({ files: [fileOf(['a'], 3), fileOf(['a'], 20000)] })),
    'path_duplicate',
  ],
  [
    'file then directory',
    torrentOf(multiFileInfo({ files: [fileOf(['a'], 3), fileOf(['a', 'b'], 20000)] })),
    'path_conflict',
  ],
  [
    'directory then file',
    torrentOf(multiFileInfo({ files: [fileOf(['a', 'b'], 3), fileOf(['a'], 20000)] })),
    'path_conflict',
  ],
  [
    'escaping makes two names equal',
    torrentOf(
      multiFileInfo({ files: [fileOf(['%01'], 3), dictOf({ length: 20000, path: ['\u0001'] })] }),
    ),
    'path_duplicate',
  ],
  [
    'v2 pieces root of 20 bytes',
    torrentOf(v2Info({ a: dictOf({ '': dictOf({ length: 5, 'pieces root': fakePieces(1) }) }) })),
    'bad_pieces',
  ],
  [
    'v2 file without pieces root',
    torrentOf(v2Info({ a: dictOf({ '': dictOf({ length: 5 }) }) })),
    'missing_key',
  ],
  [
    'v2 piece length not a power of two',
    torrentOf(v2Info({ a: leaf(5) }, { 'piece length': 3 * 16384 })),
    'bad_piece_length',
  ],
  [
    'v2 piece length below 16 KiB',
    torrentOf(v2Info({ a: leaf(5) }, { 'piece length': 8192 })),
    'bad_piece_length',
  ],
  [
    'v2 node that is a file and a directory',
    torrentOf(
      v2Info({ a: dictOf({ '': dictOf({ length: 5, 'pieces root': ROOT }), b: leaf(1) }) }),
    ),
    'bad_file_tree',
  ],
  ['v2 empty file tree', torrentOf(v2Info({})), 'no_files'],
  ['v2 only empty files', torrentOf(v2Info({ a: leaf(0) })), 'empty_torrent'],
  ['v2 traversal', torrentOf(v2Info({ '..': dictOf({ a: leaf(5) }) })), 'path_traversal'],
  [
    'meta version 2 without file tree',
    torrentOf(singleFileInfo({ 'meta version': 2 })),
    'missing_key',
  ],
  [
    'hybrid whose file tree names another file',
    torrentOf(singleFileInfo({ 'meta version': 2, 'file tree': dictOf({ b: leaf(5) }) })),
    'hybrid_mismatch',
  ],
  [
    'hybrid whose file tree has another length',
    torrentOf(singleFileInfo({ 'meta version': 2, 'file tree': dictOf({ 'a.txt': leaf(6) }) })),
    'hybrid_mismatch',
  ],
  [
    'hybrid with a file off a piece boundary',
    torrentOf(
      multiFileInfo({
        'meta version': 2,
        'file tree': dictOf({ 'a.txt': leaf(3), dir: dictOf({ b: leaf(20000) }) }),
      }),
    ),
    'hybrid_mismatch',
  ],
  [
    'v2 piece layer that does not hash to its root',
    torrentOf(v2Info({ a: leaf(40000) }), {
      'piece layers': dictOf({ [keyFromBytes(ROOT)]: new Uint8Array(96) }),
    }),
    'bad_piece_layers',
  ],
  [
    'v2 piece layer of the wrong size',
    torrentOf(v2Info({ a: leaf(40000) }), {
      'piece layers': dictOf({ [keyFromBytes(ROOT)]: new Uint8Array(64) }),
    }),
    'bad_piece_layers',
  ],
  ['meta version 3', torrentOf(singleFileInfo({ 'meta version': 3 })), 'unsupported_version'],
  ['meta version string', torrentOf(singleFileInfo({ 'meta version': '2' })), 'wrong_type'],
]

test('rejects each malformed or unsafe torrent with its code', () => {
  for (const [label, torrent, code] of [...STRUCTURE, ...FILES, ...NAMES, ...LAYOUT]) {
    const result = parseMetainfo(torrent, nodeHashing)
    assert.equal(result.ok ? 'ok' : result.error.code, code, label)
    if (!result.ok) assert.ok(result.error.message.length > 0, label)
  }
})

test('a hybrid mismatch names both files', () => {
  const info = singleFileInfo({ 'meta version': 2, 'file tree': dictOf({ b: leaf(5) }) })
  const result = parseMetainfo(torrentOf(info), nodeHashing)
  assert.ok(!result.ok)
  assert.match(result.error.message, /'a\.txt' \(5 bytes\) is not 'b' \(5 bytes\)/)
})
test('limits are overridable', () => {
  const torrent = torrentOf(multiFileInfo())
  const refuse = (limits: Partial<MetainfoLimits>): string => {
    const result = parseMetainfo(torrent, nodeHashing, limits)
    return result.ok ? 'ok' : result.error.code
  }
  assert.equal(refuse({}), 'ok')
  assert.equal(refuse({ fileCountMax: 1 }), 'too_many_files')
  assert.equal(refuse({ pieceCountMax: 1 }), 'too_many_pieces')
  assert.equal(refuse({ pieceLengthMax: 16383 }), 'bad_piece_length')
  assert.equal(refuse({ pieceLengthMin: 32768 }), 'bad_piece_length')
  assert.equal(refuse({ totalBytesMax: 20002 }), 'too_large')
  assert.equal(refuse({ pathDepthMax: 1 }), 'path_too_deep')
  assert.equal(refuse({ componentBytesMax: 4 }), 'path_too_long')
  assert.equal(refuse({ pathBytesMax: 9 }), 'path_too_long')
  assert.equal(refuse({ torrentBytesMax: 64 }), 'not_bencode')
  assert.equal(refuse({ itemsMax: 10 }), 'not_bencode')
})
