import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { test } from 'node:test'
import { startCoturn } from '../support/coturn.js'
import { BED_NATS, createNetnsBed, requireNetnsBed, type BedNat } from '../support/netns-bed.js'

/**
 * The NAT test bed checked by a reference client: coturn's `turnutils_natdiscovery` (RFC 5780)
 * run from behind each NAT box against coturn in the public namespace must report the mapping
 * and filtering behaviour the box was built to have. Not root, or no `ip`/`nft`/coturn: the
 * test fails and says so (CI runs as root with all of them installed).
 */

const EXPECTED: Record<BedNat, { mapping: string; filtering: string }> = {
  full_cone: { mapping: 'Endpoint Independent', filtering: 'Endpoint Independent' },
  address_restricted: { mapping: 'Endpoint Independent', filtering: 'Address Dependent' },
  port_restricted: { mapping: 'Endpoint Independent', filtering: 'Address and Port Dependent' },
  symmetric: { mapping: 'Address and Port Dependent', filtering: 'Address and Port Dependent' },
}

function requireCoturn(): void {
  const probe = spawnSync('sh', [
    '-c',
    'command -v turnserver && command -v turnutils_natdiscovery',
  ])
  if (probe.status !== 0) {
    throw new Error('coturn is missing: apt-get install coturn (.ci/run installs it)')
  }
}

/** natdiscovery ends each part with "NAT with <behaviour> Mapping!" / "... Filtering!". */
function verdict(output: string, part: 'Mapping' | 'Filtering'): string | undefined {
  return new RegExp(`NAT with (.+) ${part}!`).exec(output)?.[1]
}

test('each NAT box of the bed shows its behaviour to turnutils_natdiscovery', async () => {
  requireNetnsBed()
  requireCoturn()
  const bed = await createNetnsBed({ nats: BED_NATS })
  try {
    // isolation: the "Internet" routes nowhere but the bed, and not into the private LANs
    for (const address of [...bed.networks.map((network) => network.hostAddress), '192.0.2.1']) {
      const route = await bed.exec(bed.routerNamespace, ['ip', 'route', 'get', address])
      assert.notEqual(route.code, 0, `the bed's router has a route to ${address}`)
    }
    await startCoturn(bed)
    const server = bed.publicAddresses[0] ?? ''
    const outputs = await Promise.all(
      bed.networks.map((network) =>
        bed.exec(network.hostNamespace, ['turnutils_natdiscovery', '-m', '-f', server], 30_000),
      ),
    )
    bed.networks.forEach((network, i) => {
      const output = outputs[i]?.stdout ?? ''
      const seen = { mapping: verdict(output, 'Mapping'), filtering: verdict(output, 'Filtering') }
      assert.deepEqual(seen, EXPECTED[network.nat], `${network.nat}:\n${output}`)
      assert.match(
        output,
        new RegExp(`UDP reflexive addr: ${network.natAddress.replace(/\./g, '\\.')}:`),
      )
    })
  } finally {
    await bed.teardown()
  }
  const left = spawnSync('ip', ['netns', 'list'], { encoding: 'utf8' }).stdout
  assert.ok(!left.includes(bed.id), `namespaces of ${bed.id} left behind:\n${left}`)
})
