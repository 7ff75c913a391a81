import assert from 'node:assert/strict'
import { test } from 'node:test'
import fc from 'fast-check'
import {
  formatPolicyRule,
  parseExitPolicy,
  policyAllows,
  policyOfSummary,
  summarizePolicy,
  type PolicyRule,
} from './exit-policy.js'

const policy = (text: string): PolicyRule[] => {
  const parsed = parseExitPolicy(text)
  assert.ok(parsed.ok, text)
  return parsed.value
}

test('rules print in descriptor syntax and parse back to the same rules', () => {
  const text = 'accept 127.0.0.0/8:*, reject 10.1.2.3/32:25, accept *:80-443, reject *:*'
  const rules = policy(text)
  assert.equal(rules.map(formatPolicyRule).join(', '), text)
  fc.assert(
    fc.property(
      fc.boolean(),
      fc.integer({ min: 0, max: 0xffffffff }),
      fc.integer({ min: 0, max: 32 }),
      fc.integer({ min: 1, max: 65535 }),
      fc.integer({ min: 0, max: 65535 }),
      (accept, address, prefix, low, span) => {
        const mask = prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0
        const rule: PolicyRule = {
          accept,
          network: (address & mask) >>> 0,
          prefix,
          ports: [low, Math.min(65535, low + span)],
        }
        assert.deepEqual(policy(formatPolicyRule(rule)), [rule])
      },
    ),
  )
})

test("summaries in Tor's form: ports for every address, the shorter of accept and reject", () => {
  assert.equal(summarizePolicy(policy('accept 127.0.0.0/8:*, reject *:*')), 'reject 1-65535')
  assert.equal(summarizePolicy(policy('accept *:80, accept *:443, reject *:*')), 'accept 80,443')
  assert.equal(summarizePolicy(policy('reject *:25, accept *:*')), 'reject 25')
  assert.equal(summarizePolicy(policy('accept *:*')), 'accept 1-65535')
  assert.equal(summarizePolicy(policy('accept *:20-22, accept *:23, reject *:*')), 'accept 20-23')

  const web = policyOfSummary('accept 80,443')
  assert.ok(web !== undefined)
  assert.ok(policyAllows(web, '192.0.2.1', 443))
  assert.ok(!policyAllows(web, '192.0.2.1', 22))
  const most = policyOfSummary('reject 25,119-120')
  assert.ok(most !== undefined)
  assert.ok(!policyAllows(most, '192.0.2.1', 120))
  assert.ok(policyAllows(most, '192.0.2.1', 121))
  for (const bad of ['accept', 'accept 0', 'reject 70000', 'accept 9-3', 'accept *:80', 'allow 80'])
    assert.equal(policyOfSummary(bad), undefined, bad)
})

test('a summary read back allows the same ports as the rules it summarizes (any address)', () => {
  const ruleArb = fc.record({
    accept: fc.boolean(),
    network: fc.constant(0),
    prefix: fc.constant(0),
    ports: fc
      .tuple(fc.integer({ min: 1, max: 65535 }), fc.integer({ min: 0, max: 2000 }))
      .map(([low, span]): [number, number] => [low, Math.min(65535, low + span)]),
  })
  fc.assert(
    fc.property(
      fc.array(ruleArb, { maxLength: 6 }),
      fc.integer({ min: 1, max: 65535 }),
      (rules, port) => {
        const summary = policyOfSummary(summarizePolicy(rules))
        assert.ok(summary !== undefined)
        assert.equal(
          policyAllows(summary, '192.0.2.9', port),
          policyAllows(rules, '192.0.2.9', port),
        )
      },
    ),
  )
  fc.assert(fc.property(fc.string(), (text) => void policyOfSummary(text)))
})
