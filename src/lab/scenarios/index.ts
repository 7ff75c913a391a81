import type { Scenario } from '../scenario.js'
import { can } from './can.js'
import { chord } from './chord.js'
import { directory } from './directory.js'
import { gnutella } from './gnutella.js'
import { kademlia } from './kademlia.js'
import { nat } from './nat.js'
import { mapreduce } from './mapreduce.js'
import { compare } from './overlay-compare-scenario.js'
import { pastry } from './pastry.js'
import { pingMesh } from './ping-mesh.js'
import { swarm } from './swarm.js'

/** Built-in scenarios, by the name `plexus sim <name>` takes. */
export const SCENARIOS: readonly Scenario<object>[] = [
  pingMesh as Scenario<object>,
  swarm as Scenario<object>,
  kademlia as Scenario<object>,
  gnutella as Scenario<object>,
  directory as Scenario<object>,
  chord as Scenario<object>,
  can as Scenario<object>,
  pastry as Scenario<object>,
  nat as Scenario<object>,
  mapreduce as Scenario<object>,
  compare as Scenario<object>,
]

export function findScenario(name: string): Scenario<object> | undefined {
  return SCENARIOS.find((s) => s.name === name)
}
