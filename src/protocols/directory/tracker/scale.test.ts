/**
 * Scale: PEERS peers across 1,000 swarms (default 200,000 so `npm test` stays quick on two
 * cores). For the 1M figure run:
 *   TRACKER_SCALE_PEERS=1000000 node --expose-gc --test dist/src/protocols/directory/tracker/scale.test.js
 */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { SeededRandom } from '../../../core/random.js'
import { after, seconds } from '../../../core/time.js'
import { DEFAULT_TRACKER_CONFIG } from './config.js'
import { T0 } from './fixtures.test.js'
import { SwarmRegistry } from './swarm-registry.js'

const PEERS = Number(process.env['TRACKER_SCALE_PEERS'] ?? 200_000)
const SWARMS = 1000

const heapBytes = (): number => {
  const gc = (globalThis as { gc?: () => void }).gc
  gc?.()
  const usage = process.memoryUsage()
  return usage.heapUsed + usage.arrayBuffers
}

test(`${PEERS} peers across ${SWARMS} swarms: fast inserts, compact tables`, () => {
  const before = heapBytes()
  const registry = new SwarmRegistry(DEFAULT_TRACKER_CONFIG, new SeededRandom(1))
  const infoHash = new Uint8Array(20)
  const peerId = new Uint8Array(20)
  const addr = new Uint8Array(6)
  const hashView = new DataView(infoHash.buffer)
  const idView = new DataView(peerId.buffer)
  const addrView = new DataView(addr.buffer)
  const started = performance.now()
  const cpuStarted = process.cpuUsage()
  for (let i = 0; i < PEERS; i++) {
    hashView.setUint32(0, i % SWARMS)
    idView.setUint32(0, i)
    addrView.setUint32(0, 0x0a000000 + i)
    addrView.setUint16(4, 6881)
    const result = registry.announce(
      {
        infoHash,
        peerId,
        family: 'ipv4',
        addr,
        seeder: i % 3 === 0,
        event: 'started',
        numWant: 0,
        families: 'both',
        withPeerIds: false,
      },
      T0,
    )
    assert.ok(result.ok)
  }
  const insertMs = performance.now() - started
  const cpu = process.cpuUsage(cpuStarted)
  const insertCpuMs = (cpu.user + cpu.system) / 1000
  const totals = registry.totals()
  assert.equal(totals.peers, PEERS)
  assert.equal(totals.torrents, SWARMS)

  // A full-size answer from a big swarm.
  const answerStarted = performance.now()
  for (let i = 0; i < 1000; i++) {
    hashView.setUint32(0, i % SWARMS)
    idView.setUint32(0, PEERS + i)
    addrView.setUint32(0, 0x0b000000 + i)
    const result = registry.announce(
      {
        infoHash,
        peerId,
        family: 'ipv4',
        addr,
        seeder: false,
        event: 'none',
        numWant: 200,
        families: 'both',
        withPeerIds: false,
      },
      T0,
    )
    assert.ok(result.ok && result.value.ipv4.count === Math.min(200, PEERS / SWARMS))
  }
  const answerMs = performance.now() - answerStarted

  const sweepStarted = performance.now()
  assert.equal(registry.sweep(after(T0, seconds(60))), 0)
  const sweepMs = performance.now() - sweepStarted
  const tableBytes = registry.tableBytes()
  const heapDelta = heapBytes() - before
  const peers = PEERS + 1000
  console.log(
    `[scale] ${PEERS} inserts in ${insertMs.toFixed(0)} ms (${insertCpuMs.toFixed(0)} ms CPU); 1000 answers of 200 in ` +
      `${answerMs.toFixed(0)} ms; sweep of ${peers} in ${sweepMs.toFixed(1)} ms; tables ` +
      `${(tableBytes / peers).toFixed(1)} B/peer; heap+arrayBuffers delta ` +
      `${(heapDelta / peers).toFixed(1)} B/peer` +
      `${(globalThis as { gc?: unknown }).gc === undefined ? ' (no --expose-gc: rough)' : ''}`,
  )
  assert.ok(tableBytes / peers < 80, 'tables stay compact')
  const expired = registry.sweep(after(T0, seconds(3600 + 300 + 1)))
  assert.equal(expired, peers)
  assert.equal(registry.totals().peers, 0)
})
