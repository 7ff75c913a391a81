import assert from 'node:assert/strict'
import { test } from 'node:test'
import { DEFAULT_UTP_CONFIG } from './config.js'
import { REPROBE_MS, SEARCH_GRANULARITY_BYTES } from './pmtu.js'
import { Pair, pattern, type LinkOptions } from './test-link.js'

/**
 * Path MTU discovery in the connection, over the in-memory link with a path that drops every
 * datagram above a size (a PMTU black hole: no ICMP, as when a firewall eats it).
 */

/** A 1280-byte link: 1252 bytes of UDP payload over IPv4. */
const PATH_1280 = 1252

interface Transfer {
  readonly pair: Pair
  /** When the connection came up and when the search settled, ms of simulated time. */
  readonly connectedAt: number
  readonly settledAt: number | undefined
  readonly doneAt: number
}

function transfer(link: LinkOptions, bytes: number): Transfer {
  const pair = new Pair(link)
  pair.run(() => pair.a.state === 'connected')
  const connectedAt = pair.now
  const data = pattern(bytes)
  for (let offset = 0; offset < data.length; offset += 16_384) {
    pair.a.write(data.subarray(offset, offset + 16_384), pair.now)
  }
  pair.a.end(pair.now)
  pair.collect('a')
  let settledAt: number | undefined
  pair.run(() => {
    if (settledAt === undefined && !pair.a.pmtu.searching) settledAt = pair.now
    return pair.a.state === 'closed' && pair.side('b').state === 'closed'
  })
  assert.equal(pair.received.b.length, data.length)
  assert.deepEqual(Uint8Array.from(pair.received.b), data)
  return { pair, connectedAt, settledAt, doneAt: pair.now }
}

test('over a 1280-byte black-hole path the packet size settles just under it within 8 RTTs', () => {
  const rttMs = 40
  const run = transfer({ delayMs: rttMs / 2, passes: (size) => size <= PATH_1280 }, 2_000_000)
  const size = run.pair.a.packetBytes
  assert.ok(size <= PATH_1280 && size > PATH_1280 - SEARCH_GRANULARITY_BYTES, `${size}`)
  assert.ok(run.settledAt !== undefined)
  assert.ok(run.settledAt - run.connectedAt <= 8 * rttMs, `${run.settledAt - run.connectedAt} ms`)
  // Lost probes were size signals, not congestion: slow start never ended on a loss.
  assert.ok(run.pair.tooBig.a > 0)
  assert.equal(run.pair.a.ledbat.slowStart, true)
})

test('afterwards the transfer runs as fast as with the right size set from the start', () => {
  const link = { delayMs: 20, passes: (size: number) => size <= PATH_1280 }
  const probing = transfer(link, 4_000_000)
  const settled = probing.pair.a.packetBytes
  const fixed = transfer(
    {
      ...link,
      config: { ...DEFAULT_UTP_CONFIG, packetBytesFloor: settled, packetBytesCeiling: settled },
    },
    4_000_000,
  )
  const probingMs = probing.doneAt - probing.connectedAt
  const fixedMs = fixed.doneAt - fixed.connectedAt
  assert.equal(fixed.pair.tooBig.a, 0)
  // The search costs at most a few round trips of smaller packets, nothing after.
  assert.ok(probingMs <= fixedMs + 4 * 40, `probing ${probingMs} ms, fixed ${fixedMs} ms`)
})

test('with random loss and reordering too, the size never passes the path and bytes arrive whole', () => {
  for (const seed of [3, 11, 29]) {
    const run = transfer(
      { delayMs: 25, lossRatio: 0.02, jitterMs: 10, seed, passes: (size) => size <= 1000 },
      600_000,
    )
    const size = run.pair.a.packetBytes
    assert.ok(size <= 1000 && size >= DEFAULT_UTP_CONFIG.packetBytesFloor, `seed ${seed}: ${size}`)
  }
})

test('a path whose MTU shrinks mid-transfer (black hole): back to the floor, cut again, complete', () => {
  const shrinkAt = 300
  const run = transfer(
    { delayMs: 20, passes: (size, now) => size <= (now < shrinkAt ? 1472 : 1000) },
    6_000_000,
  )
  assert.ok(run.doneAt > shrinkAt, 'the transfer outlived the change')
  const size = run.pair.a.packetBytes
  assert.ok(size <= 1000 && size > 1000 - SEARCH_GRANULARITY_BYTES, `${size}`)
})

test('a re-probe lost with nothing after it (the retransmission timer) is no congestion', () => {
  const pair = new Pair({ delayMs: 20, passes: (size) => size <= 900 })
  pair.run(() => pair.a.state === 'connected')
  pair.a.write(pattern(300_000), pair.now)
  pair.collect('a')
  pair.run(() => pair.received.b.length === 300_000)
  const settled = pair.a.packetBytes
  assert.ok(settled <= 900)
  const window = pair.a.ledbat.window
  assert.ok(window > 4 * 1472, `${window}`)
  // Idle past the re-probe time (keepalives only), then 600 bytes: one packet, a probe.
  pair.run(() => false, pair.now + REPROBE_MS + 1000)
  const dropped = pair.tooBig.a
  pair.a.write(pattern(600), pair.now)
  pair.collect('a')
  assert.equal(pair.tooBig.a, dropped + 1)
  const probesLost = pair.events.a.filter((e) => e.type === 'mtu_probe_lost').length
  pair.run(() => pair.received.b.length === 300_600, pair.now + 60_000)
  assert.deepEqual(Uint8Array.from(pair.received.b.slice(300_000)), pattern(600))
  const lost = pair.events.a.filter((e) => e.type === 'mtu_probe_lost').slice(probesLost)
  assert.ok(lost.length === 1 && (lost[0] as { bytes: number }).bytes > 900)
  // A timeout would have dropped the window to one packet.
  assert.ok(pair.a.ledbat.window >= window, `${pair.a.ledbat.window} < ${window}`)
  assert.equal(pair.a.packetBytes, settled)
})
