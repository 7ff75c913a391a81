import assert from 'node:assert/strict'
import { test } from 'node:test'
import { SeededRandom } from '../core/random.js'
import { exponential, gamma, pareto, weibull, type Distribution } from './distributions.js'

const SEED = Number(process.env['SEED'] ?? 11)

const sampleMean = (distribution: Distribution, count: number): number => {
  const random = new SeededRandom(SEED).fork(distribution.description)
  let sum = 0
  for (let i = 0; i < count; i++) sum += distribution.sample(random)
  return sum / count
}

test('gamma matches known values', () => {
  assert.ok(Math.abs(gamma(1) - 1) < 1e-12)
  assert.ok(Math.abs(gamma(5) - 24) < 1e-9)
  assert.ok(Math.abs(gamma(0.5) - Math.sqrt(Math.PI)) < 1e-12)
  assert.ok(Math.abs(gamma(1.5) - Math.sqrt(Math.PI) / 2) < 1e-12)
})

for (const distribution of [
  exponential(60_000),
  weibull(0.6, 30_000),
  weibull(2, 1000),
  pareto(3, 1000),
]) {
  test(`sample mean of ${distribution.description} matches its mean`, () => {
    const mean = sampleMean(distribution, 200_000)
    const error = Math.abs(mean - distribution.mean) / distribution.mean
    assert.ok(error < 0.03, `mean ${mean} vs ${distribution.mean}; SEED=${SEED}`)
  })
}

test('weibull with shape 1 is exponential', () => {
  assert.ok(Math.abs(weibull(1, 500).mean - 500) < 1e-9)
})
