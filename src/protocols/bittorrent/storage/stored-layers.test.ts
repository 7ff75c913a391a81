import assert from 'node:assert/strict'
import { test } from 'node:test'
import { toHex } from '../../../core/bytes.js'
import { ok } from '../../../core/result.js'
import type { Metainfo } from '../metainfo/index.js'
import { nodeHashing, simWorld, type World } from './fixtures.test.js'
import type { ResumeStore } from './resume.js'
import {
  decodeStoredLayers,
  encodeStoredLayers,
  lacksPieceLayers,
  loadStoredLayers,
  saveStoredLayers,
  storedLayersPath,
  type StoredLayers,
} from './stored-layers.js'
import { makeHybridTorrent, makeV2Torrent } from './v2-fixtures.test.js'

/** Two files with piece layers (a.bin, c.bin) and one without (b.txt, one piece). */
function twoLayerTorrent(seed = 1): Metainfo {
  return makeV2Torrent(
    [
      { path: ['a.bin'], length: 100_000 },
      { path: ['b.txt'], length: 100 },
      { path: ['c.bin'], length: 70_000 },
    ],
    undefined,
    seed,
  ).m
}

const rootHex = (m: Metainfo, file: number): string =>
  toHex(m.files[file]?.piecesRoot as Uint8Array)

/** The index in `m.files` (pads included) of the file named `name`. */
const fileIndex = (m: Metainfo, name: string): number =>
  m.files.findIndex((file) => file.path.at(-1) === name)

const load = (world: World, store: ResumeStore, m: Metainfo): StoredLayers =>
  world.value<StoredLayers>((done) => loadStoredLayers(store, m, nodeHashing, (x) => done(ok(x))))

test('fetched layers saved beside the resume data load back, each proven', () => {
  const world = simWorld()
  const m = twoLayerTorrent()
  const store: ResumeStore = { disk: world.disk, dir: 'state' }
  assert.equal(storedLayersPath('state', m), `state/resume/${m.infoHashHex}.layers`)
  // Nothing stored yet: no layers, nothing discarded.
  assert.deepEqual(load(world, store, m), { layers: new Map(), discarded: [] })
  world.value<void>((done) => saveStoredLayers(store, m, m.pieceLayers, world.writeAtomic, done))
  const loaded = load(world, store, m)
  assert.deepEqual(loaded.discarded, [])
  assert.deepEqual(
    [...loaded.layers.keys()].sort(),
    [rootHex(m, fileIndex(m, 'a.bin')), rootHex(m, fileIndex(m, 'c.bin'))].sort(),
  )
  for (const [root, layer] of loaded.layers) assert.deepEqual(layer, m.pieceLayers.get(root))
})

test('a corrupt stored layer is refused and named; the good one is kept', () => {
  const m = twoLayerTorrent()
  const a = rootHex(m, fileIndex(m, 'a.bin'))
  const c = rootHex(m, fileIndex(m, 'c.bin'))
  const flipped = (m.pieceLayers.get(a) as Uint8Array).slice()
  flipped[33] = (flipped[33] as number) ^ 0x01
  const tampered = new Map([
    [a, flipped],
    [c, m.pieceLayers.get(c) as Uint8Array],
  ])
  const loaded = decodeStoredLayers(encodeStoredLayers(m, tampered), m, nodeHashing)
  assert.deepEqual(loaded.discarded, ['root/a.bin'])
  assert.deepEqual([...loaded.layers.keys()], [c])
  // A layer of the wrong length (a hash short) is refused the same way.
  const short = new Map([[c, (m.pieceLayers.get(c) as Uint8Array).subarray(32)]])
  const loadedShort = decodeStoredLayers(encodeStoredLayers(m, short), m, nodeHashing)
  assert.deepEqual(loadedShort, { layers: new Map(), discarded: ['root/c.bin'] })
})

test("another torrent's layers, or bytes that are not a layers file, give nothing", () => {
  const m = twoLayerTorrent(1)
  const other = twoLayerTorrent(2)
  const none = { layers: new Map(), discarded: [] }
  // Same layout, other content: another info-hash, and its roots are not ours either.
  assert.deepEqual(
    decodeStoredLayers(encodeStoredLayers(other, other.pieceLayers), m, nodeHashing),
    none,
  )
  // Our info-hash but the other torrent's layers: no root matches a file of ours.
  const relabelled = { ...other, infoHash: m.infoHash }
  assert.deepEqual(
    decodeStoredLayers(encodeStoredLayers(relabelled, other.pieceLayers), m, nodeHashing),
    none,
  )
  assert.deepEqual(decodeStoredLayers(new Uint8Array([1, 2, 3]), m, nodeHashing), none)
  const good = encodeStoredLayers(m, m.pieceLayers)
  assert.deepEqual(decodeStoredLayers(good.subarray(0, good.length - 1), m, nodeHashing), none)
})

test('a v2 or hybrid magnet lacks layers (both fetch and keep them); a .torrent or v1 does not', () => {
  const v2 = twoLayerTorrent()
  const hybrid = makeHybridTorrent([
    { path: ['a.bin'], length: 100_000 },
    { path: ['b.txt'], length: 100 },
  ]).m
  assert.equal(lacksPieceLayers(v2), false)
  assert.equal(lacksPieceLayers(hybrid), false)
  assert.equal(lacksPieceLayers({ ...v2, pieceLayers: new Map() }), true)
  assert.equal(lacksPieceLayers({ ...hybrid, pieceLayers: new Map() }), true)
  assert.equal(
    lacksPieceLayers({ ...hybrid, version: 'v1', hybrid: false, pieceLayers: new Map() }),
    false,
  )
})
