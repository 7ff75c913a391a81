import assert from 'node:assert/strict'
import { minutes } from '../../src/core/time.js'
import { ChurnDriver } from '../../src/sim/churn.js'
import { exponential, weibull, type Distribution } from '../../src/sim/distributions.js'
import { SimWorld } from '../../src/sim/world.js'
import { MBPS, seededTest } from './helpers.js'

const mean = (values: readonly number[]): number =>
  values.reduce((sum, v) => sum + v, 0) / values.length

function churnRun(seed: number, session: Distribution, offTime: Distribution): ChurnDriver {
  const world = new SimWorld({ seed })
  const hosts = Array.from({ length: 200 }, () =>
    world.addHost({ uploadBytesPerSecond: MBPS, downloadBytesPerSecond: MBPS }),
  )
  let starts = 0
  for (const host of hosts) host.start(() => void starts++)
  const churn = new ChurnDriver(world.scheduler, {
    hosts,
    session,
    offTime,
    random: world.random.fork('churn'),
    gracefulRatio: 0.3,
  })
  churn.start()
  world.runFor(minutes(600))
  churn.stop()
  assert.equal(starts, 200 + churn.arrivals, 'every restart reran the program')
  return churn
}

for (const session of [exponential(60_000), weibull(0.5, 30_000)]) {
  seededTest(
    `session lengths from ${session.description} have the distribution's mean`,
    71,
    (seed) => {
      const churn = churnRun(seed, session, exponential(20_000))
      assert.ok(churn.sessions.length > 5_000, `sessions ${churn.sessions.length}; SEED=${seed}`)
      const sessionError = Math.abs(mean(churn.sessions) / session.mean - 1)
      // Weibull with shape 0.5 has a heavy tail (CV about 2.2): allow more room.
      assert.ok(sessionError < 0.08, `session mean ${mean(churn.sessions)}; SEED=${seed}`)
      const offError = Math.abs(mean(churn.offTimes) / 20_000 - 1)
      assert.ok(offError < 0.05, `off mean ${mean(churn.offTimes)}; SEED=${seed}`)
    },
  )
}

seededTest('churn is deterministic per seed', 72, (seed) => {
  const a = churnRun(seed, exponential(60_000), exponential(20_000))
  const b = churnRun(seed, exponential(60_000), exponential(20_000))
  assert.deepEqual(a.sessions.slice(0, 100), b.sessions.slice(0, 100), `SEED=${seed}`)
  assert.equal(a.departures, b.departures)
})
