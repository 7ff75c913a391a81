import assert from 'node:assert/strict'
import { test } from 'node:test'
import type { Env } from '../../src/core/env.js'
import { utf8, fromUtf8 } from '../../src/core/bytes.js'
import { seconds } from '../../src/core/time.js'
import { SimWorld } from '../../src/sim/world.js'
import { MBPS, seededTest, unwrap } from './helpers.js'

const fast = { uploadBytesPerSecond: MBPS, downloadBytesPerSecond: MBPS }

function writeFile(env: Env, path: string, text: string): void {
  env.disk.open(path, 'create', (opened) => {
    const file = unwrap(opened, 'open')
    file.write(0, utf8(text), (written) => {
      unwrap(written, 'write')
      file.sync(() => file.close(() => undefined))
    })
  })
}

seededTest('crash and restart keep the address and the disk; the env is new', 81, (seed) => {
  const world = new SimWorld({ seed })
  const host = world.addHost(fast)
  host.start((env) => writeFile(env, 'state', 'hello'))
  world.runUntilIdle()
  const disk = host.disk
  host.crash()
  assert.equal(host.state, 'crashed')
  let readBack = ''
  host.restart((env) => {
    assert.equal(env.disk, disk, 'same disk instance')
    env.disk.open('state', 'read', (opened) => {
      const file = unwrap(opened, 'open')
      file.read(0, 100, (read) => (readBack = fromUtf8(unwrap(read, 'read'))))
    })
  })
  world.runUntilIdle()
  assert.equal(readBack, 'hello', `SEED=${seed}`)
  assert.equal(host.lifeNumber, 2)
  assert.equal(world.host(host.address), host)
})

seededTest('disk callbacks of a crashed life never run', 82, (seed) => {
  const world = new SimWorld({ seed })
  const host = world.addHost(fast)
  let called = false
  host.env.disk.mkdir('d', () => (called = true))
  host.crash()
  world.runUntilIdle()
  assert.equal(called, false)
})

seededTest(
  'stop runs the program handle and sockets close; restart reruns the program',
  83,
  (seed) => {
    const world = new SimWorld({ seed })
    const host = world.addHost(fast)
    const events: string[] = []
    host.start((env) => {
      events.push(`start ${env.random.int(1000)}`)
      return { stop: () => events.push('stop') }
    })
    host.stop()
    host.stop()
    host.restart()
    world.runUntilIdle()
    assert.equal(events.length, 3)
    assert.equal(events[1], 'stop')
    assert.notEqual(events[0], events[2], 'the new life draws from a new stream')
  },
)

seededTest('the log prefixes virtual time and host, and is silent by default', 84, (seed) => {
  const quiet = new SimWorld({ seed })
  quiet.addHost(fast).env.log.log('info', 'nobody hears this')
  assert.deepEqual(quiet.logLines(), [])
  const world = new SimWorld({ seed, log: { level: 'info' } })
  const host = world.addHost(fast)
  world.runFor(seconds(2))
  host.env.log.log('debug', 'dropped')
  host.env.log.child({ peer: 'x' }).log('warn', 'slow peer', { ms: 12 })
  assert.deepEqual(world.logLines(), [`    2000.000 ${host.address} warn  slow peer ms=12 peer=x`])
})

seededTest('metrics aggregate across hosts: counters sum, histograms merge', 85, (seed) => {
  const world = new SimWorld({ seed })
  const a = world.addHost(fast)
  const b = world.addHost(fast)
  a.env.metrics.count('x')
  a.env.metrics.count('x', 2)
  b.env.metrics.count('x', 4)
  for (let i = 1; i <= 100; i++) (i % 2 === 0 ? a : b).env.metrics.observe('lat', i)
  assert.equal(world.metricCounters().get('x'), 7)
  const summary = world.histogram('lat')
  assert.equal(summary?.count, 100)
  assert.equal(summary?.p50, 50)
  assert.equal(summary?.p90, 90)
  assert.equal(summary?.p99, 99)
  assert.equal(summary?.max, 100)
})

seededTest(
  'addresses are assigned in order and never reused; NATed hosts get private ones',
  86,
  (seed) => {
    const world = new SimWorld({ seed })
    const a = world.addHost(fast)
    const b = world.addHost({ ...fast, address: '10.0.0.2' })
    const c = world.addHost(fast)
    const d = world.addHost({ ...fast, nat: 'symmetric' })
    assert.deepEqual(
      [a.address, b.address, c.address, d.address, d.publicAddress],
      ['10.0.0.1', '10.0.0.2', '10.0.0.3', '172.16.0.1', '10.0.0.4'],
    )
    assert.throws(() => world.addHost({ ...fast, address: '10.0.0.3' }), /taken/)
  },
)

test('a failed check names the seed to reproduce with', () => {
  const world = new SimWorld({ seed: 1234 })
  world.check('fine', [])
  assert.throws(() => world.check('ring', ['node 3: successor 7, expected 5']), {
    name: 'SimFailure',
    message:
      /ring: 1 problem\(s\)\n {2}- node 3: successor 7, expected 5\nreproduce with SEED=1234/,
  })
})
