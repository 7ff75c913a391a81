import assert from 'node:assert/strict'
import { test } from 'node:test'
import { instant } from '../../core/time.js'
import {
  BLACK_HOLE_TIMEOUTS,
  PACKET_BYTES_CEILING_DEFAULT,
  PACKET_BYTES_FLOOR_V4,
  PmtuSearch,
  REPROBE_MS,
  SEARCH_GRANULARITY_BYTES,
} from './pmtu.js'

const limits = { floorBytes: PACKET_BYTES_FLOOR_V4, ceilingBytes: PACKET_BYTES_CEILING_DEFAULT }

/** Runs a search against a path that carries `pathBytes`; returns the probes it sent. */
function search(pmtu: PmtuSearch, pathBytes: number, at = 0): number[] {
  const probes: number[] = []
  for (let size = pmtu.probeSize(instant(at)); size !== undefined;) {
    probes.push(size)
    pmtu.probeSent(size)
    if (size <= pathBytes) pmtu.probeAcked(size)
    else pmtu.probeLost(size)
    size = pmtu.probeSize(instant(at))
  }
  return probes
}

test('binary search from the floor finds the largest size that passes, to within 16 bytes', () => {
  for (const pathBytes of [548, 600, 972, 1252, 1400, 1464, 1472]) {
    const pmtu = new PmtuSearch(limits)
    assert.equal(pmtu.current, PACKET_BYTES_FLOOR_V4)
    const probes = search(pmtu, pathBytes)
    assert.ok(pmtu.current <= pathBytes, `${pathBytes}: ${pmtu.current}`)
    assert.ok(pmtu.current > pathBytes - SEARCH_GRANULARITY_BYTES || pathBytes === 548)
    // log2((1472 - 548) / 16) rounds up to 6: one probe (one round trip) each.
    assert.ok(probes.length <= 6, `${pathBytes}: ${probes.join(' ')}`)
    assert.ok(probes.every((size) => size <= PACKET_BYTES_CEILING_DEFAULT))
  }
})

test('a 1280-byte link: the probes and where they settle', () => {
  const pmtu = new PmtuSearch(limits)
  assert.deepEqual(search(pmtu, 1252), [1010, 1241, 1357, 1299, 1270, 1255])
  assert.equal(pmtu.current, 1241)
  assert.equal(pmtu.searching, false)
})

test('the finished search probes upwards again after the re-probe time, up to the ceiling', () => {
  const pmtu = new PmtuSearch(limits)
  search(pmtu, 1252)
  assert.equal(pmtu.probeSize(instant(REPROBE_MS - 1)), undefined)
  // The path now carries full Ethernet frames.
  const probes = search(pmtu, 1472, REPROBE_MS)
  assert.ok(probes.length > 0 && (probes[0] as number) > 1241)
  assert.ok(pmtu.current > 1472 - SEARCH_GRANULARITY_BYTES, `${pmtu.current}`)
})

test('large packets timing out twice in a row is a black hole: back to the floor, search below', () => {
  const pmtu = new PmtuSearch(limits)
  search(pmtu, 1472)
  const before = pmtu.current
  assert.equal(pmtu.timedOut(before), false)
  assert.equal(pmtu.timedOut(before), BLACK_HOLE_TIMEOUTS === 2)
  assert.equal(pmtu.current, PACKET_BYTES_FLOOR_V4)
  const probes = search(pmtu, 1000)
  assert.ok(probes.every((size) => size < before))
  assert.ok(pmtu.current <= 1000 && pmtu.current > 1000 - SEARCH_GRANULARITY_BYTES)
})

test('an ack of a large packet between timeouts, or a small packet timing out, is no black hole', () => {
  const pmtu = new PmtuSearch(limits)
  search(pmtu, 1472)
  const size = pmtu.current
  assert.equal(pmtu.timedOut(size), false)
  pmtu.acked(size)
  assert.equal(pmtu.timedOut(size), false)
  assert.equal(pmtu.timedOut(PACKET_BYTES_FLOOR_V4), false)
  assert.equal(pmtu.current, size)
})

test('a path MTU learned from the kernel caps the search and the packet size', () => {
  const pmtu = new PmtuSearch(limits)
  search(pmtu, 1472)
  pmtu.hint(1252)
  assert.equal(pmtu.current, 1252)
  assert.equal(search(pmtu, 1472).length, 0)
  // Below the floor it is ignored: the floor is what every path carries.
  pmtu.hint(100)
  assert.equal(pmtu.current, 1252)
  const fresh = new PmtuSearch(limits)
  fresh.hint(1252)
  const probes = search(fresh, 1472)
  assert.ok(probes.every((size) => size <= 1252))
  assert.ok(fresh.current > 1252 - SEARCH_GRANULARITY_BYTES)
})

test('a ceiling below the floor disables the search at the ceiling', () => {
  const pmtu = new PmtuSearch({ floorBytes: 1232, ceilingBytes: 1200 })
  assert.equal(pmtu.current, 1200)
  assert.equal(search(pmtu, 1472).length, 0)
})
