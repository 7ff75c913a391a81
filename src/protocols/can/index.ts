export { CanNode, type CanDeps, type CanNodeOptions, type CanStats } from './node.js'
export { canCodec, encodeCan, decodeCan, CAN_LIMITS, type CanDecodeError } from './codec.js'
export { canConfig, DEFAULT_CAN_CONFIG, type CanConfig } from './config.js'
export { canMessageName, type CanMessage, type CanNodeInfo, type CanItem } from './messages.js'
export { pointOfKey, randomPoint, gridPoint } from './space.js'
export {
  boxOf,
  contains,
  distanceToCentre,
  distanceToZone,
  adjacent,
  buddyOf,
  halfFor,
  tilingProblems,
  volumeOf,
  type Point,
  type ZonePath,
} from './zone.js'
export { ZoneMap } from './zone-map.js'
