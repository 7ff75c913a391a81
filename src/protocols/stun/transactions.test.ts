import assert from 'node:assert/strict'
import { test } from 'node:test'
import { SeededRandom } from '../../core/random.js'
import { instant, ms, type Instant } from '../../core/time.js'
import { decodeStun, encodeStun } from './codec.js'
import { StunMethod } from './constants.js'
import { StunClientTransactions } from './transactions.js'

const server = { host: '192.0.2.1', port: 3478 }
const binding = { method: StunMethod.Binding, messageClass: 'request' as const, attributes: [] }

/** Steps the machine through its own deadlines and records when each request left. */
function run(
  transactions: StunClientTransactions,
  until: number,
): { sends: number[]; timedOutAt?: number } {
  const sends: number[] = []
  let timedOutAt: number | undefined
  let now: Instant = instant(0)
  const drain = (): void => {
    for (const output of transactions.takeOutputs()) {
      if (output.type === 'send') sends.push(now)
      if (output.type === 'timeout') timedOutAt = now
    }
  }
  drain()
  for (
    let next = transactions.nextTimeout();
    next !== undefined && next <= until;
    next = transactions.nextTimeout()
  ) {
    now = next
    transactions.timeout(now)
    drain()
  }
  return timedOutAt === undefined ? { sends } : { sends, timedOutAt }
}

test('RFC 8489 defaults: 7 requests at 0, 500, 1500 ... 31500 ms, failure at 39500 ms', () => {
  const transactions = new StunClientTransactions(new SeededRandom(1))
  transactions.start(instant(0), server, binding)
  const { sends, timedOutAt } = run(transactions, 100_000)
  assert.deepEqual(sends, [0, 500, 1500, 3500, 7500, 15500, 31500])
  assert.equal(timedOutAt, 39500)
  assert.equal(transactions.size, 0)
})

test('a short schedule for behaviour tests: Rc 3, Rm 4', () => {
  const transactions = new StunClientTransactions(new SeededRandom(1), {
    rto: ms(100),
    rc: 3,
    rm: 4,
  })
  transactions.start(instant(0), server, binding)
  assert.deepEqual(run(transactions, 10_000), { sends: [0, 100, 300], timedOutAt: 700 })
})

test('an answer ends the transaction; retransmissions carry the same bytes; strays are ignored', () => {
  const transactions = new StunClientTransactions(new SeededRandom(2))
  const id = transactions.start(instant(0), server, binding)
  const [first] = transactions.takeOutputs()
  assert.ok(first?.type === 'send')
  transactions.timeout(instant(500))
  const [again] = transactions.takeOutputs()
  assert.ok(again?.type === 'send')
  assert.deepEqual(again.bytes, first.bytes)
  const request = decodeStun(first.bytes)
  assert.ok(request.ok)
  const answer = (transactionId: Uint8Array, messageClass: 'success' | 'indication') => {
    const decoded = decodeStun(
      encodeStun({ method: StunMethod.Binding, messageClass, transactionId, attributes: [] }),
    )
    assert.ok(decoded.ok)
    return decoded.value
  }
  const other = { host: '192.0.2.2', port: 3479 }
  assert.equal(
    transactions.receive(instant(600), other, answer(new Uint8Array(12), 'success')),
    false,
  )
  assert.equal(
    transactions.receive(instant(600), other, answer(request.value.transactionId, 'indication')),
    false,
  )
  assert.equal(
    transactions.receive(instant(600), other, answer(request.value.transactionId, 'success')),
    true,
  )
  const [response] = transactions.takeOutputs()
  assert.ok(response?.type === 'response')
  assert.equal(response.id, id)
  assert.deepEqual(response.from, other)
  assert.equal(response.elapsed, 600)
  assert.equal(response.sends, 2)
  assert.equal(transactions.nextTimeout(), undefined)
  // A duplicate answer after the end is not matched again.
  assert.equal(
    transactions.receive(instant(700), other, answer(request.value.transactionId, 'success')),
    false,
  )
})
