import assert from 'node:assert/strict'
import { test } from 'node:test'
import fc from 'fast-check'
import { NodeOnionCrypto } from '../../drivers/onion/node-crypto.js'
import { CELL_PAYLOAD_BYTES } from './cell.js'
import { HOP_KEY_MATERIAL_BYTES, splitHopKeys } from './kdf.js'
import { RelayCommand, encodeRelayCell } from './relay-cell.js'
import { HopCryptoLayer, openFromHops, openRunFromHops, type OpenedCell } from './relay-crypto.js'

const crypto = new NodeOnionCrypto()

/** Three hops' keys from fixed material, as the client and the relays each hold them. */
const hopKeys = (seed: number) =>
  [0, 1, 2].map((hop) =>
    splitHopKeys(
      Uint8Array.from(
        { length: HOP_KEY_MATERIAL_BYTES },
        (_, i) => (seed + 31 * hop + 7 * i) & 255,
      ),
    ),
  )

/** A cell as hop `origin` sends it toward the client: sealed there, a layer added by each hop before it. */
function fromHop(relays: readonly HopCryptoLayer[], origin: number, fill: number): Uint8Array {
  const data = new Uint8Array(1 + (fill % 498)).fill(fill & 255)
  const sealed = (relays[origin] as HopCryptoLayer).seal(
    encodeRelayCell({ command: RelayCommand.DATA, streamId: 1 + origin, data }),
  ).payload
  for (let hop = origin - 1; hop >= 0; hop--) (relays[hop] as HopCryptoLayer).encryptInPlace(sealed)
  return sealed
}

const same = (a: OpenedCell | undefined, b: OpenedCell | undefined): void => {
  assert.equal(a === undefined, b === undefined)
  if (a === undefined || b === undefined) return
  assert.equal(a.hop, b.hop)
  assert.deepEqual(Buffer.from(a.plaintext), Buffer.from(b.plaintext))
  assert.deepEqual(Buffer.from(a.digest), Buffer.from(b.digest))
}

test('a run opened layer by layer gives what cell by cell gives, for cells from any hop and altered ones', () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 0, max: 255 }),
      fc.array(fc.record({ origin: fc.integer({ min: 0, max: 2 }), altered: fc.nat(40) }), {
        minLength: 1,
        maxLength: 40,
      }),
      fc.array(fc.integer({ min: 1, max: 9 }), { minLength: 1, maxLength: 40 }),
      (seed, cells, runLengths) => {
        const keys = hopKeys(seed)
        const relays = keys.map((k) => new HopCryptoLayer(crypto, k, 'relay'))
        const oneByOne = keys.map((k) => new HopCryptoLayer(crypto, k, 'client'))
        const inRuns = keys.map((k) => new HopCryptoLayer(crypto, k, 'client'))
        const payloads = cells.map(({ origin, altered }, i) => {
          const payload = fromHop(relays, origin, i)
          // about one cell in 40 has a bit flipped on the way
          const at = (i * 37) % CELL_PAYLOAD_BYTES
          if (altered === 0) payload[at] = (payload[at] as number) ^ 1
          return payload
        })
        const expected = payloads.map((payload) => openFromHops(oneByOne, payload.slice()))
        const got: (OpenedCell | undefined)[] = []
        for (let at = 0, run = 0; at < payloads.length; run++) {
          const length = runLengths[run % runLengths.length] as number
          const batch = payloads.slice(at, at + length)
          const before = batch.map((payload) => payload.slice())
          got.push(...openRunFromHops(inRuns, batch))
          assert.deepEqual(batch, before, 'the input payloads are left as they were')
          at += length
        }
        // Both agree up to and including the first cell no hop recognized (the circuit closes
        // there, and a missed last hop has advanced its digest past it).
        for (let i = 0; i < payloads.length; i++) {
          same(got[i], expected[i])
          if (expected[i] === undefined) break
        }
        if (cells.every(({ altered }) => altered !== 0))
          assert.ok(expected.every((opened, i) => opened?.hop === cells[i]?.origin))
      },
    ),
    { numRuns: 120 },
  )
})
