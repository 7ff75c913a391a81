import { defaultsOf, type Scenario } from '../scenario.js'
import { runPolicyMatrix, writePolicyMatrix } from './swarm-compare.js'
import { SWARM_PARAMS, swarmParamsProblem } from './swarm-params.js'
import { formatSwarm, type SwarmReport } from './swarm-report.js'
import { runSwarm } from './swarm-run.js'

/** `plexus sim swarm`: a BitTorrent swarm at scale, against the fluid lower bound. */
export const swarm: Scenario<SwarmReport> = {
  name: 'swarm',
  describe: '1 seed + N leechers running the production SwarmCore; vs the fluid lower bound',
  params: SWARM_PARAMS,
  defaults: () => defaultsOf(SWARM_PARAMS),
  problem: swarmParamsProblem,
  run: runSwarm,
  format: formatSwarm,
  compare: (given, seed, outDir, options) =>
    writePolicyMatrix(runPolicyMatrix(given, seed, options), outDir),
}
