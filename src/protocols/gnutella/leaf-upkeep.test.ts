import assert from 'node:assert/strict'
import { test } from 'node:test'
import type { Address } from '../../core/address.js'
import { BoundedMap } from './bounded-map.js'
import { planLeafUpkeep } from './leaf-upkeep.js'

const config = { leafUltrapeers: 2, leafCandidatesExtra: 1 }
const up = (port: number, isOpen: boolean, handshakeRttMs: number) => ({
  remote: { host: '127.0.0.1', port },
  isOpen,
  handshakeRttMs,
})
const candidatesOf = (...ports: number[]): BoundedMap<string, Address> => {
  const map = new BoundedMap<string, Address>(16)
  for (const port of ports) map.set(`127.0.0.1:${port}`, { host: '127.0.0.1', port })
  return map
}

test('a leaf with more open ultrapeers than it keeps drops the slowest handshake', () => {
  const ups = [up(1, true, 30), up(2, true, 90), up(3, true, 10)]
  const step = planLeafUpkeep(ups, config, candidatesOf(), new BoundedMap(16))
  assert.equal(step.type, 'drop')
  assert.equal(step.type === 'drop' && step.connection.remote.port, 2)
})

test('a leaf dials newest candidates first, up to the kept count plus the extra probes', () => {
  const step = planLeafUpkeep([up(1, true, 5)], config, candidatesOf(7, 8, 9), new BoundedMap(16))
  assert.deepEqual(step, { type: 'dial', dial: ['127.0.0.1:9', '127.0.0.1:8'] })
})

test('hosts dropped as slower are skipped while the leaf has enough, tried again when short', () => {
  const slower = new BoundedMap<string, true>(16)
  slower.set('127.0.0.1:9', true)
  const enough = planLeafUpkeep(
    [up(1, true, 5), up(2, true, 6)],
    config,
    candidatesOf(8, 9),
    slower,
  )
  assert.deepEqual(enough, { type: 'dial', dial: ['127.0.0.1:8'] })
  const short = planLeafUpkeep([up(1, true, 5)], config, candidatesOf(8, 9), slower)
  assert.deepEqual(short, { type: 'dial', dial: ['127.0.0.1:9', '127.0.0.1:8'] })
})

test('a host already connected or being dialled is not dialled again', () => {
  const ups = [up(1, true, 5), up(9, false, 0)]
  const step = planLeafUpkeep(ups, config, candidatesOf(1, 9), new BoundedMap(16))
  assert.deepEqual(step, { type: 'dial', dial: [] })
})
