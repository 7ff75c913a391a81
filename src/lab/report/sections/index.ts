import type { Section } from '../section.js'
import { fileDistribution } from './file-distribution.js'
import { flooding } from './flooding.js'
import { incentives } from './incentives.js'
import { mapreduce } from './mapreduce.js'
import { nat } from './nat.js'
import { overlays } from './overlays.js'
import { search } from './search.js'

/** The report's sections, in the brief's order of priority (the lectures' claims first). */
export const SECTIONS: readonly Section[] = [
  fileDistribution,
  overlays,
  flooding,
  search,
  incentives,
  nat,
  mapreduce,
]
