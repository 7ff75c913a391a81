export {
  chooseUnchoked,
  DEFAULT_CHOKE_OPTIONS,
  type ChokeCandidate,
  type ChokeDecision,
  type ChokeOptions,
  type ChokeState,
} from './choker.js'
export { drawOptimistic, isRotationDue, type OptimisticOptions } from './optimistic.js'
export { compareLeeching, compareSeeding, type RankedPeer, type SeedingQuota } from './rank.js'
export { RATE_WINDOW_DEFAULT, RateMeter, type RateMeterOptions } from './rate.js'
