import assert from 'node:assert/strict'
import { test } from 'node:test'
import { fromUtf8, utf8 } from '../../../core/bytes.js'
import { ok } from '../../../core/result.js'
import { readSimFile, simWorld } from './fixtures.test.js'
import { ResumeWriter } from './resume-writer.js'

const PATH = 'state/resume/x.resume'

test('requests during a write share one more write, which writes the latest state', () => {
  const world = simWorld()
  let state = 0
  const prepared: number[] = []
  const writer = new ResumeWriter({
    disk: world.disk,
    path: PATH,
    writeAtomic: world.writeAtomic,
    prepare: (done) => {
      prepared.push(state)
      world.defer(() => done(ok(utf8(`state ${state}`))))
    },
  })
  const finished: number[] = []
  writer.request(() => finished.push(0))
  world.drain()
  state = 1
  writer.request(() => finished.push(1))
  assert.ok(writer.inFlight)
  for (const n of [2, 3, 4, 5]) {
    state = n
    writer.request(() => finished.push(n))
  }
  world.drain()
  assert.equal(writer.writesStarted, 3)
  assert.deepEqual(prepared, [0, 1, 5])
  assert.deepEqual(finished, [0, 1, 2, 3, 4, 5])
  assert.equal(fromUtf8(readSimFile(world, PATH) ?? new Uint8Array()), 'state 5')
  assert.ok(!writer.inFlight)
  writer.request(() => finished.push(6))
  world.drain()
  assert.equal(writer.writesStarted, 4)
})

test('a failed write reports to its waiters only; the next write proceeds', () => {
  const world = simWorld()
  let state = 'a'
  const writer = new ResumeWriter({
    disk: world.disk,
    path: PATH,
    writeAtomic: world.writeAtomic,
    prepare: (done) => world.defer(() => done(ok(utf8(state)))),
  })
  world.disk.failNext('rename')
  const results: string[] = []
  writer.request((r) => results.push(r.ok ? 'ok' : r.error.code))
  state = 'b'
  writer.request((r) => results.push(r.ok ? 'ok' : r.error.code))
  world.drain()
  assert.deepEqual(results, ['io', 'ok'])
  assert.equal(fromUtf8(readSimFile(world, PATH) ?? new Uint8Array()), 'b')
  // The failed attempt's temporary file was removed.
  assert.deepEqual(
    world.value<string[]>((d) => world.disk.list('state/resume', d)),
    ['x.resume'],
  )
})
