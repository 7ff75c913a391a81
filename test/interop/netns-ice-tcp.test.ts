import assert from 'node:assert/strict'
import { dirname, join } from 'node:path'
import { test } from 'node:test'
import { fileURLToPath } from 'node:url'
import type { ConnectionReport } from '../../src/protocols/holepunch/index.js'
import { startCoturn } from '../support/coturn.js'
import {
  createNetnsBed,
  requireNetnsBed,
  type BedNat,
  type NetnsBed,
} from '../support/netns-bed.js'

/**
 * The ICE agent's TCP candidates on real sockets across the NAT bed, with every UDP datagram
 * to and from both peers dropped by nftables in their host namespaces (a firewall that lets
 * only TCP out). The peers gather TCP candidates (server-reflexive S-O from coturn's STUN over
 * TCP, from the S-O port), swap them through the rendezvous (TCP), and must connect over TCP
 * by simultaneous open where both NATs keep the port (masquerade, endpoint-independent), and
 * fail with a symmetric NAT on a side (there is no UDP for the relay either). The
 * application's datagrams then go through as RFC 4571 frames on the selected connection.
 */
const HERE = dirname(fileURLToPath(import.meta.url))
const SUPPORT = join(HERE, '..', 'support')
const RELAY_PORT = 3480
const CASES: readonly [BedNat, BedNat, boolean][] = [
  ['port_restricted', 'port_restricted', true],
  ['full_cone', 'address_restricted', true],
  ['symmetric', 'port_restricted', false],
]

interface PeerResult {
  readonly ok: boolean
  readonly reason?: string
  readonly report?: ConnectionReport
}

function lastJson(stdout: string): PeerResult {
  const lines = stdout
    .trim()
    .split('\n')
    .filter((line) => line.startsWith('{'))
  const last = lines[lines.length - 1]
  return last === undefined ? { ok: false, reason: 'no output' } : (JSON.parse(last) as PeerResult)
}

async function startRendezvous(bed: NetnsBed, host: string): Promise<void> {
  const child = bed.start(bed.publicNamespace, [
    'env',
    '-u',
    'PLEXUS_TEST',
    process.execPath,
    join(SUPPORT, 'holepunch-relay-main.js'),
    host,
    String(RELAY_PORT),
  ])
  await new Promise<void>((resolve, reject) => {
    let out = ''
    child.stdout?.on('data', (chunk: Buffer) => {
      out += chunk.toString()
      if (out.includes('"ready"')) resolve()
    })
    child.once('exit', (code) => reject(new Error(`rendezvous exited (${code}): ${out}`)))
  })
}

/** A firewall in the host's namespace: every UDP datagram in or out is dropped. */
async function dropUdp(bed: NetnsBed, namespace: string): Promise<void> {
  const rules = [
    ['nft', 'add', 'table', 'inet', 'noudp'],
    ['nft', 'add', 'chain', 'inet', 'noudp', 'out', '{ type filter hook output priority 0 ; }'],
    ['nft', 'add', 'chain', 'inet', 'noudp', 'in', '{ type filter hook input priority 0 ; }'],
    ['nft', 'add', 'rule', 'inet', 'noudp', 'out', 'meta', 'l4proto', 'udp', 'drop'],
    ['nft', 'add', 'rule', 'inet', 'noudp', 'in', 'meta', 'l4proto', 'udp', 'drop'],
  ]
  for (const rule of rules) {
    const result = await bed.exec(namespace, rule)
    assert.equal(result.code, 0, `${rule.join(' ')}: ${result.stderr}`)
  }
}

test('UDP dropped: peers behind cone NATs connect over TCP (S-O), not through a symmetric one', async () => {
  requireNetnsBed()
  const bed = await createNetnsBed({ nats: CASES.flatMap(([a, b]) => [a, b]) })
  try {
    const server = bed.publicAddresses[0] ?? ''
    await startCoturn(bed, 3478, { username: 'plexus', password: 'punch-through' })
    await startRendezvous(bed, server)
    for (const network of bed.networks) await dropUdp(bed, network.hostNamespace)
    for (const [k, [natA, natB, expected]] of CASES.entries()) {
      const a = bed.networks[2 * k]
      const b = bed.networks[2 * k + 1]
      assert.ok(a !== undefined && b !== undefined)
      const peer = (role: string, namespace: string, local: string) =>
        bed.exec(
          namespace,
          [
            'env',
            '-u',
            'PLEXUS_TEST',
            'PLEXUS_PEER_TCP=1',
            process.execPath,
            join(SUPPORT, 'holepunch-peer-main.js'),
            role,
            `tcp-${k}`,
            local,
            `${server}:3478`,
            `${server}:${RELAY_PORT}`,
            `${server}:${RELAY_PORT + 1}`,
          ],
          40_000,
        )
      const [x, y] = await Promise.all([
        peer('controlling', a.hostNamespace, a.hostAddress),
        peer('controlled', b.hostNamespace, b.hostAddress),
      ])
      const controlling = lastJson(x.stdout)
      const controlled = lastJson(y.stdout)
      const what = `${natA} x ${natB}: ${x.stdout}${x.stderr} | ${y.stdout}${y.stderr}`
      assert.equal(controlling.ok && controlled.ok, expected, what)
      if (expected) {
        assert.equal(controlling.report?.transport, 'tcp', what)
        assert.equal(controlling.report?.path, 'direct', what)
        assert.equal(controlled.report?.transport, 'tcp', what)
        console.log(JSON.stringify({ pair: `${natA} x ${natB}`, report: controlling.report }))
      }
    }
  } finally {
    await bed.teardown()
  }
})
