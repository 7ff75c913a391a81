import assert from 'node:assert/strict'
import { dirname, join } from 'node:path'
import { test } from 'node:test'
import { fileURLToPath } from 'node:url'
import { createNetnsBed, requireNetnsBed, type BedNat } from '../support/netns-bed.js'

/**
 * TCP simultaneous open across the real NAT bed: two hosts behind NATs connect to each other's
 * NAT address from fixed ports at the same time, run the ICE-TCP checks both ways on the
 * connection (RFC 6544 `so` candidates, RFC 4571 framing) and exchange a framed line. Through endpoint-
 * independent-mapping NATs (Linux masquerade keeps the port) it succeeds; with a symmetric NAT
 * on either side the mapped port is random and it must fail (the relay is the answer there).
 */
const SUPPORT = join(dirname(fileURLToPath(import.meta.url)), '..', 'support')
const CASES: readonly [BedNat, BedNat, boolean][] = [
  ['port_restricted', 'port_restricted', true],
  ['full_cone', 'address_restricted', true],
  ['symmetric', 'port_restricted', false],
]

test('TCP simultaneous open connects through cone NATs, not through a symmetric one', async () => {
  requireNetnsBed()
  const bed = await createNetnsBed({ nats: CASES.flatMap(([a, b]) => [a, b]) })
  try {
    const results = await Promise.all(
      CASES.map(async (_, k) => {
        const a = bed.networks[2 * k]
        const b = bed.networks[2 * k + 1]
        assert.ok(a !== undefined && b !== undefined)
        const side = (
          from: typeof a,
          to: typeof a,
          port: number,
          remotePort: number,
          name: string,
        ) =>
          bed.exec(
            from.hostNamespace,
            [
              'env',
              '-u',
              'PLEXUS_TEST', // inside the bed: nothing leaves its namespaces
              process.execPath,
              join(SUPPORT, 'tcp-punch-main.js'),
              from.hostAddress,
              String(port),
              to.natAddress,
              String(remotePort),
              name,
            ],
            20_000,
          )
        const [x, y] = await Promise.all([
          side(a, b, 40_001, 40_002, 'a'),
          side(b, a, 40_002, 40_001, 'b'),
        ])
        return [x.stdout, y.stdout] as const
      }),
    )
    CASES.forEach(([natA, natB, expected], k) => {
      const [x, y] = results[k] ?? ['', '']
      const ok = x.includes('"ok":true') && y.includes('"ok":true')
      assert.equal(ok, expected, `${natA} x ${natB}: ${x} | ${y}`)
      if (expected) {
        assert.match(x, /hello from b/)
        assert.match(y, /hello from a/)
        assert.match(x, /"valid":true/)
        assert.match(y, /"valid":true/)
      }
    })
  } finally {
    await bed.teardown()
  }
})
