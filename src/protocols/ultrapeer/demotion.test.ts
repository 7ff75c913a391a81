import assert from 'node:assert/strict'
import { test } from 'node:test'
import { DEFAULT_DEMOTION, demotionVerdict, type DemotionInputs } from './demotion.js'

const idle: DemotionInputs = {
  leaves: 1,
  lowForMs: DEFAULT_DEMOTION.lowForMs,
  ultrapeerForMs: DEFAULT_DEMOTION.ultrapeerForMs,
  neighbourFreeLeafSlots: [10, 5, 3],
  leafUltrapeers: 3,
}

test('an ultrapeer low on leaves for long enough, with room nearby, demotes', () => {
  assert.deepEqual(demotionVerdict(idle), { demote: true })
})

test('hysteresis and room: each condition alone keeps the ultrapeer', () => {
  const keep = (inputs: Partial<DemotionInputs>): string => {
    const v = demotionVerdict({ ...idle, ...inputs })
    return v.demote ? 'demote' : v.reason
  }
  assert.equal(keep({ leaves: DEFAULT_DEMOTION.leavesBelow }), 'enough_leaves')
  assert.equal(keep({ lowForMs: DEFAULT_DEMOTION.lowForMs - 1 }), 'not_low_long_enough')
  assert.equal(keep({ ultrapeerForMs: DEFAULT_DEMOTION.ultrapeerForMs - 1 }), 'young')
  // Fewer roomy neighbours than the homes a leaf keeps.
  assert.equal(keep({ neighbourFreeLeafSlots: [10, 10, 0] }), 'no_room_nearby')
  // Room for fewer than spareFactor x (our leaves + us): 2 x (3 + 1) = 8 > 1 + 1 + 1.
  assert.equal(keep({ leaves: 3, neighbourFreeLeafSlots: [1, 1, 1] }), 'no_room_nearby')
  assert.equal(keep({ leaves: 3, neighbourFreeLeafSlots: [4, 2, 2] }), 'demote')
})
