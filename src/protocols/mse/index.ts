/** MSE/PE, message stream encryption for BitTorrent connections (sans-IO). */
export * from './dh.js'
export * from './handshake.js'
export * from './messages.js'
export * from './rc4.js'
