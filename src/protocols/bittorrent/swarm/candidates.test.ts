import assert from 'node:assert/strict'
import { test } from 'node:test'
import { instant, ms, type Instant } from '../../../core/time.js'
import { Candidates } from './candidates.js'

const options = {
  candidatesMax: 100,
  connectAttemptsMax: 3,
  reconnectDelay: ms(1000),
  reconnectDelayMax: ms(60_000),
  redialDelay: ms(5000),
}
const at = (t: number): Instant => instant(t)
const peer = (n: number) => ({ host: `10.0.0.${n}`, port: 6881 })

test('measured candidates are redialled fastest first; unmeasured ones go before them', () => {
  const book = new Candidates(options)
  for (const n of [1, 2, 3]) book.add(peer(n), 'tracker', at(0))
  // Dialled in the order heard of; connects complete after 30, 10 and 20 ms.
  const dialled = [book.next(at(0), false), book.next(at(0), false), book.next(at(0), false)]
  assert.deepEqual(
    dialled.map((c) => c?.address.host),
    ['10.0.0.1', '10.0.0.2', '10.0.0.3'],
  )
  const rtts = [30, 10, 20]
  dialled.forEach((c, i) => {
    book.measured(c!.key, at(rtts[i]!))
    book.connected(c!.address, 'tracker', at(rtts[i]!))
    book.disconnected(c!.key, at(100), false)
  })
  assert.deepEqual(
    [...[1, 2, 3]].map((n) => book.get(`10.0.0.${n}:6881`)?.rttMs),
    [30, 10, 20],
  )
  book.promote(at(10_000))
  book.add(peer(4), 'pex', at(10_000))
  const order: string[] = []
  for (let c = book.next(at(10_000), false); c !== undefined; c = book.next(at(10_000), false)) {
    order.push(c.address.host)
  }
  assert.deepEqual(order, ['10.0.0.4', '10.0.0.2', '10.0.0.3', '10.0.0.1'])
})

test('a connect that never completes leaves the candidate unmeasured', () => {
  const book = new Candidates(options)
  book.add(peer(1), 'tracker', at(0))
  const c = book.next(at(0), false)!
  book.failed(c.key, at(4000))
  assert.equal(book.get(c.key)?.rttMs, undefined)
  // `measured` only counts a candidate being dialled.
  book.measured(c.key, at(5000))
  assert.equal(book.get(c.key)?.rttMs, undefined)
})
