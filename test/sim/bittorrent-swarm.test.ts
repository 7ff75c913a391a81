import assert from 'node:assert/strict'
import { test } from 'node:test'
import { testSeed } from './helpers.js'
import { runSwarmScenario } from './bittorrent-swarm-scenario.js'

const SEED = testSeed(20_240_601)

test('swarm: 1 seed, 1 polluter, 20 leechers all finish byte-exact and ban the polluter', () => {
  const started = performance.now()
  const result = runSwarmScenario(SEED)
  const wallMs = Math.round(performance.now() - started)
  console.log(
    `SEED=${SEED} slowest leecher ${result.slowestSeconds} s (sim), completions ` +
      `${JSON.stringify(result.completionSeconds)}; ` +
      `polluted leechers ${result.pollutedLeechers}, ` +
      `polluter banned by ${result.polluterBannedBy}; honest bans ${result.honestBans}; ` +
      `${result.checkpoints} checkpoints; ${wallMs} ms wall`,
  )
  assert.deepEqual(result.problems, [], `SEED=${SEED}`)
  assert.equal(result.honestBans, 0, `an honest peer was banned; SEED=${SEED}`)
  assert.ok(result.pollutedLeechers > 0, `the polluter served nobody; SEED=${SEED}`)
  assert.equal(
    result.polluterBannedBy,
    result.pollutedLeechers,
    `every leecher the polluter fed bans it; SEED=${SEED}`,
  )
})

test('swarm: the same seed replays exactly', () => {
  const options = { leechers: 6, totalLength: 1024 * 1024, pieceLength: 64 * 1024, secondsMax: 120 }
  const first = runSwarmScenario(SEED, options)
  const second = runSwarmScenario(SEED, options)
  assert.deepEqual(first.problems, [], `SEED=${SEED}`)
  assert.equal(first.summary, second.summary, `not deterministic; reproduce with SEED=${SEED}`)
})
