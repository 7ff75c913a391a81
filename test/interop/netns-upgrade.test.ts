import assert from 'node:assert/strict'
import { dirname, join } from 'node:path'
import { test } from 'node:test'
import { fileURLToPath } from 'node:url'
import type { ConnectionReport } from '../../src/protocols/holepunch/index.js'
import { startCoturn } from '../support/coturn.js'
import { createNetnsBed, requireNetnsBed, type NetnsBed } from '../support/netns-bed.js'

/**
 * A relayed session upgraded to a direct one across real NATs. Two hosts behind
 * port-restricted NATs (a pair that can go direct) start a session while each NAT box drops
 * the datagrams to and from the other one (as when a mapping is late or the first checks are
 * lost): the session selects the relay (plexus's relay-lite in the public namespace). After
 * `HOLD_MS` the boxes let them through; the checks that go on while relayed succeed, the
 * session moves to the direct pair, and the stream of numbered datagrams the controlling side
 * sends all along arrives whole and in order on the other side.
 */
const HERE = dirname(fileURLToPath(import.meta.url))
const SUPPORT = join(HERE, '..', 'support')
const RELAY_PORT = 3480
const HOLD_MS = 4000

interface UpgradeResult {
  readonly ok: boolean
  readonly reason?: string
  readonly selected?: ConnectionReport
  readonly upgraded?: ConnectionReport
  readonly sent?: number
  readonly received?: number
  readonly inOrder?: boolean
}

const lastJson = (stdout: string): UpgradeResult => {
  const line = stdout
    .trim()
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .pop()
  return line === undefined ? { ok: false, reason: `no output: ${stdout}` } : JSON.parse(line)
}

async function startRelay(bed: NetnsBed, host: string): Promise<void> {
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
    child.once('exit', (code) => reject(new Error(`relay exited (${code}): ${out}`)))
  })
}

/** Each NAT box drops what goes to or comes from the other one (a table of its own). */
async function holdDirect(bed: NetnsBed, on: boolean): Promise<void> {
  const [a, b] = bed.networks
  assert.ok(a !== undefined && b !== undefined)
  for (const [box, other] of [
    [a, b],
    [b, a],
  ] as const) {
    const nft = (...args: string[]) => bed.exec(box.natNamespace, ['nft', ...args])
    if (!on) {
      const removed = await nft('delete', 'table', 'ip', 'hold')
      assert.equal(removed.code, 0, removed.stderr)
      continue
    }
    const steps = [
      ['add', 'table', 'ip', 'hold'],
      ['add chain ip hold gate { type filter hook forward priority -10; policy accept; }'],
      ['add', 'rule', 'ip', 'hold', 'gate', 'ip', 'daddr', other.natAddress, 'drop'],
      ['add', 'rule', 'ip', 'hold', 'gate', 'ip', 'saddr', other.natAddress, 'drop'],
    ]
    for (const step of steps) {
      const result = await nft(...step)
      assert.equal(result.code, 0, `nft ${step.join(' ')}: ${result.stderr}`)
    }
  }
}

test('a session that starts on the relay moves to the direct pair, the stream whole and in order', async (t) => {
  requireNetnsBed()
  const bed = await createNetnsBed({ nats: ['port_restricted', 'port_restricted'] })
  try {
    const server = bed.publicAddresses[0] ?? ''
    await startCoturn(bed, 3478) // STUN only: server-reflexive candidates
    await startRelay(bed, server)
    await holdDirect(bed, true)
    const [netA, netB] = bed.networks
    assert.ok(netA !== undefined && netB !== undefined)
    const peer = (role: string, namespace: string, address: string) =>
      bed.exec(
        namespace,
        [
          'env',
          '-u',
          'PLEXUS_TEST',
          process.execPath,
          join(SUPPORT, 'holepunch-upgrade-main.js'),
          role,
          'upgrade',
          address,
          `${server}:3478`,
          `${server}:${RELAY_PORT}`,
          `${server}:${RELAY_PORT + 1}`,
        ],
        60_000,
      )
    const controlling = peer('controlling', netA.hostNamespace, netA.hostAddress)
    const controlled = peer('controlled', netB.hostNamespace, netB.hostAddress)
    await new Promise((resolve) => setTimeout(resolve, HOLD_MS))
    await holdDirect(bed, false)
    const [first, second] = await Promise.all([controlling, controlled])
    const a = lastJson(first.stdout)
    const b = lastJson(second.stdout)
    const what = `${first.stdout}${first.stderr} | ${second.stdout}${second.stderr}`
    t.diagnostic(
      `selected ${a.selected?.path} (${a.selected?.localType} -> ${a.selected?.remoteType}), ` +
        `upgraded ${a.upgraded?.path} (${a.upgraded?.localType} -> ${a.upgraded?.remoteType}) ` +
        `${Math.round(a.upgraded?.elapsedMs ?? 0)} ms after the checks started; ` +
        `${a.sent} datagrams sent, ${b.received} received, in order: ${b.inOrder}`,
    )
    assert.ok(a.ok && b.ok, what)
    assert.equal(a.selected?.path, 'relayed', what)
    assert.equal(b.selected?.path, 'relayed', what)
    assert.equal(a.upgraded?.path, 'direct', what)
    assert.equal(b.upgraded?.path, 'direct', what)
    assert.ok((a.sent ?? 0) > 100, what)
    assert.equal(b.received, a.sent, `every datagram arrived: ${what}`)
    assert.equal(b.inOrder, true, `in order: ${what}`)
  } finally {
    await bed.teardown()
  }
})
