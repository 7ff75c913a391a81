import assert from 'node:assert/strict'
import { test } from 'node:test'
import { SeededRandom } from '../../core/random.js'
import { instant, minutes } from '../../core/time.js'
import { NodeHashingForTests } from './test-hashing.js'
import { TokenSecrets } from './tokens.js'

test('a token is valid for its IP for 5 to 10 minutes, and never for another IP', () => {
  const tokens = new TokenSecrets(
    new SeededRandom(1),
    new NodeHashingForTests(),
    minutes(5),
    instant(0),
  )
  const token = tokens.issue(instant(0), '1.2.3.4')
  assert.ok(tokens.valid(instant(1000), '1.2.3.4', token))
  assert.equal(tokens.valid(instant(1000), '1.2.3.5', token), false)
  assert.ok(tokens.valid(instant(minutes(9)), '1.2.3.4', token), 'previous secret accepted')
  assert.equal(tokens.valid(instant(minutes(10)), '1.2.3.4', token), false, 'two rotations later')
  const wrong = token.slice()
  wrong[0] = (wrong[0] as number) ^ 1
  assert.equal(tokens.valid(instant(0), '1.2.3.4', wrong), false)
  assert.equal(tokens.valid(instant(0), '1.2.3.4', new Uint8Array(3)), false)
})
