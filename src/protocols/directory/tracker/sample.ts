import type { Random } from '../../../core/random.js'

/**
 * `count` distinct integers drawn uniformly from [0, range) (Floyd's algorithm): exactly
 * `count` random draws whatever the range, so a 200-peer answer from a 100,000-peer swarm
 * costs 200 draws and a small set, not a shuffle of the swarm. Order is not random; callers
 * that care shuffle the (small) result.
 */
export function sampleDistinct(random: Random, range: number, count: number): number[] {
  if (count >= range) return Array.from({ length: range }, (_, i) => i)
  const chosen = new Set<number>()
  for (let j = range - count; j < range; j++) {
    const t = random.int(j + 1)
    chosen.add(chosen.has(t) ? j : t)
  }
  return [...chosen]
}
