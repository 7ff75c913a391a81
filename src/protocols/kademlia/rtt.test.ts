import assert from 'node:assert/strict'
import { test } from 'node:test'
import { ms } from '../../core/time.js'
import { RttEstimate } from './rtt.js'

test('the RTT quantile comes from the last 32 samples, once there are 8', () => {
  const rtt = new RttEstimate(ms(500), ms(4000), ms(1000))
  for (let i = 1; i <= 7; i++) rtt.sample(i * 10)
  assert.equal(rtt.quantileMs(0.9), undefined, 'too few samples')
  rtt.sample(80)
  assert.equal(rtt.quantileMs(0.9), 80, '0.9 of 8 samples (10..80 ms) is the largest')
  assert.equal(rtt.quantileMs(0.5), 50)
  // 40 more samples of 1,000 ms push every small one out of the ring.
  for (let i = 0; i < 40; i++) rtt.sample(1000)
  assert.equal(rtt.quantileMs(0.5), 1000)
})
