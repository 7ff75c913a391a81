import assert from 'node:assert/strict'
import { test } from 'node:test'
import type { AgentConfig } from './config.js'
import { inOrder, runToyNetwork } from './toy-network.js'

/**
 * A relayed session upgraded to a direct one, on the toy network (toy-network.ts: the relay
 * path twice as long as the direct one). The direct path is closed until `openAtMs` (as when
 * one side's first check is lost or its NAT mapping comes late), so the session starts on the
 * relay. Both sides stream numbered datagrams every 5 ms the whole time; what arrives must be
 * every number, in order, on one session.
 */
const run = (openAtMs: number, config: Partial<AgentConfig> = {}, untilMs = 9000) =>
  runToyNetwork((atMs) => atMs >= openAtMs, config, untilMs)

test('a session that began on the relay moves to the direct pair, nothing lost or reordered', () => {
  const { received, sentData, reports, server } = run(3000)
  for (const side of ['a', 'b'] as const) {
    assert.equal(reports(side, 'selected')[0]?.path, 'relayed', `${side} started relayed`)
    const upgraded = reports(side, 'upgraded')
    assert.equal(upgraded.length, 1, `${side} upgraded once`)
    assert.equal(upgraded[0]?.path, 'direct')
  }
  assert.ok(sentData.a > 500 && sentData.b > 500)
  // the other side's numbers, every one, in order (the same session throughout)
  assert.deepEqual(received.b, inOrder(sentData.a))
  assert.deepEqual(received.a, inOrder(sentData.b))
  // data did go through the relay before the switch
  assert.ok(server.stats.datagramsRelayed > 100)
})

test('without a hold at the switch, the first direct datagrams would overtake the relayed ones', () => {
  // The same run with the hold cut to nothing: the receiver sees the shorter path's numbers
  // before the relay's last ones. This is the reordering path-switch.ts exists to prevent.
  const { received, sentData } = run(3000, { pathSwitchHoldMinMs: 0 })
  const reordered = received.b.some((seq, i) => i > 0 && seq < (received.b[i - 1] as number))
  assert.ok(reordered, 'expected reordering without the hold')
  assert.equal(received.b.length, sentData.a) // still nothing lost
})

test('a direct path that never opens leaves the session on the relay, which keeps working', () => {
  const { received, sentData, reports, b } = run(Infinity, { upgradeWindowMs: 4000 })
  assert.equal(reports('a', 'selected')[0]?.path, 'relayed')
  assert.equal(reports('a', 'upgraded').length, 0)
  assert.equal(b.upgrading, false) // the window closed
  assert.deepEqual(received.b, inOrder(sentData.a))
})

test('a direct path from the start is selected directly, and no upgrade is tried', () => {
  const { reports, a } = run(0)
  assert.equal(reports('a', 'selected')[0]?.path, 'direct')
  assert.equal(reports('a', 'upgraded').length, 0)
  assert.equal(a.upgrading, false)
})
