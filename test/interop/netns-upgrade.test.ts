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
 * sends all along arrives whole and in order on the other side. The second test then shuts
 * the direct path again: both sides fall back to the relay and the stream goes on through it.
 */
const HERE = dirname(fileURLToPath(import.meta.url))
const SUPPORT = join(HERE, '..', 'support')
const RELAY_PORT = 3480
const HOLD_MS = 4000
/** After the opening: the upgrade has happened (retries every 1 s) and data went direct. */
const UPGRADED_AFTER_MS = 4000

interface UpgradeResult {
  readonly ok: boolean
  readonly reason?: string
  readonly selected?: ConnectionReport
  readonly upgraded?: ConnectionReport
  readonly fellBack?: ConnectionReport
  readonly sent?: number
  readonly received?: number
  readonly inOrder?: boolean
  readonly ascending?: boolean
  readonly tailWhole?: boolean
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

/**
 * Both peers of `mode` in a bed whose direct path is held shut at first and opened after
 * `HOLD_MS`; `afterOpen` runs then (the fallback test shuts it again).
 */
async function runPair(
  mode: 'upgrade' | 'fallback',
  afterOpen: (bed: NetnsBed) => Promise<void> = async () => undefined,
): Promise<{ a: UpgradeResult; b: UpgradeResult; what: string }> {
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
          mode,
          address,
          `${server}:3478`,
          `${server}:${RELAY_PORT}`,
          `${server}:${RELAY_PORT + 1}`,
          mode,
        ],
        60_000,
      )
    const controlling = peer('controlling', netA.hostNamespace, netA.hostAddress)
    const controlled = peer('controlled', netB.hostNamespace, netB.hostAddress)
    await new Promise((resolve) => setTimeout(resolve, HOLD_MS))
    await holdDirect(bed, false)
    await afterOpen(bed)
    const [first, second] = await Promise.all([controlling, controlled])
    const what = `${first.stdout}${first.stderr} | ${second.stdout}${second.stderr}`
    return { a: lastJson(first.stdout), b: lastJson(second.stdout), what }
  } finally {
    await bed.teardown()
  }
}

test('a session that starts on the relay moves to the direct pair, the stream whole and in order', async (t) => {
  requireNetnsBed()
  const { a, b, what } = await runPair('upgrade')
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
})

test('an upgraded session whose direct path dies falls back to the relay, the stream going on', async (t) => {
  requireNetnsBed()
  // the upgrade comes within a retry (1 s) of the opening; then the NAT boxes drop the
  // direct datagrams again, as a NAT that lost its mapping or a changed route would
  const { a, b, what } = await runPair('fallback', async (bed) => {
    await new Promise((resolve) => setTimeout(resolve, UPGRADED_AFTER_MS))
    await holdDirect(bed, true)
  })
  t.diagnostic(
    `upgraded ${a.upgraded?.path}, fell back to ${a.fellBack?.path} / ${b.fellBack?.path}; ` +
      `${a.sent} datagrams sent, ${b.received} received (the lost ones went into the dead ` +
      `direct path before the fallback), ascending: ${b.ascending}, last ${100} whole: ${b.tailWhole}`,
  )
  assert.ok(a.ok && b.ok, what)
  for (const side of [a, b]) {
    assert.equal(side.selected?.path, 'relayed', what)
    assert.equal(side.upgraded?.path, 'direct', what)
    assert.equal(side.fellBack?.path, 'relayed', what)
  }
  assert.equal(b.ascending, true, `each datagram once, in order: ${what}`)
  assert.equal(b.tailWhole, true, `the datagrams sent after the fallback all came: ${what}`)
  // at 10 ms a datagram, the fallback (2 s without a consent answer) costs at most ~300
  assert.ok((a.sent ?? 0) - (b.received ?? 0) <= 300, what)
})
