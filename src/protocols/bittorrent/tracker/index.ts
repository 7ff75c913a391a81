/**
 * BitTorrent tracker clients: HTTP (BEP 3, 7, 23, 48) as pure functions, UDP (BEP 15) as a
 * codec and a sans-IO datagram core, and the BEP 12 multi-tracker announcer.
 */
export * from './announcer.js'
export * from './announcer-config.js'
export * from './announcer-outputs.js'
export * from './http-response.js'
export * from './http-url.js'
export * from './peer-source.js'
export * from './schedule.js'
export * from './tiers.js'
export * from './types.js'
export * from './udp-client.js'
export * from './udp-client-config.js'
export * from './udp-codec.js'
export * from './udp-decode.js'
export * from './udp-encode.js'
export * from './udp-layout.js'
export * from './udp-messages.js'
export { udpAnnounceResponse, udpTrackerError, type UdpAnnounceParams } from './udp-request.js'
