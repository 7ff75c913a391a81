import assert from 'node:assert/strict'
import { test } from 'node:test'
import { judge, type ClaimInput } from './section.js'
import { stableJson } from './stable-json.js'

const claim = (
  measured: number,
  expected: number,
  comparison: ClaimInput['comparison'],
): ClaimInput => ({
  id: 'c',
  statement: 's',
  source: 'src',
  measured,
  expected,
  expectedFrom: 'e',
  unit: 's',
  comparison,
  tolerance: 0.1,
  causeIfOff: 'cause',
})

test('about: within the tolerance either way, off beyond it with the signed percentage', () => {
  assert.equal(judge(claim(105, 100, 'about')).verdict, 'within')
  assert.equal(judge(claim(91, 100, 'about')).verdict, 'within')
  const off = judge(claim(202.3, 100, 'about'))
  assert.equal(off.verdict, 'off')
  assert.equal(off.offBy, 1.023)
  assert.equal(off.verdictText, 'off by +102.3 %')
  assert.equal(judge(claim(80, 100, 'about')).verdictText, 'off by -20.0 %')
})

test('at-most and at-least: only the forbidden direction is off', () => {
  assert.equal(judge(claim(50, 100, 'at-most')).verdict, 'within')
  assert.equal(judge(claim(111, 100, 'at-most')).verdict, 'off')
  assert.equal(judge(claim(500, 100, 'at-least')).verdict, 'within')
  assert.equal(judge(claim(89, 100, 'at-least')).verdict, 'off')
})

test('stable JSON sorts keys at every level and drops undefined', () => {
  const a = stableJson({ b: 1, a: { d: [2, { z: 1, y: 2 }], c: undefined } })
  const b = stableJson({ a: { d: [2, { y: 2, z: 1 }] }, b: 1 })
  assert.equal(a, b)
  assert.ok(a.indexOf('"a"') < a.indexOf('"b"'))
})
