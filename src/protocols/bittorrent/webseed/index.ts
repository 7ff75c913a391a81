/** BEP 19 web seeds, sans-IO: URLs, run planning, answer classification, per-seed state. */
export { webSeedFileUrl, isFetchableWebSeed } from './url.js'
export { runsOf, partsOf, rangeHeaderOf, type Run, type RunPart } from './ranges.js'
export {
  classifyAnswer,
  RETRY_AFTER_MAX,
  type AnswerVerdict,
  type WebSeedAnswer,
} from './answer.js'
export {
  blocksPerFetch,
  DEFAULT_WEB_SEED_CONFIG,
  WebSeedState,
  webSeedsWanted,
  type WebSeedConfig,
  type WebSeedPhase,
} from './seed-state.js'
