/**
 * A STUN server answering Binding requests over TCP (RFC 5389 section 7.2.2, RFC 8489 section
 * 6.2.2): on a stream listener, each message read (StunStreamReader: no framing beyond the
 * STUN header's length) is answered by the pure `answerStunDatagram` on the same connection,
 * so XOR-MAPPED-ADDRESS is the address the connection came from. That is how an ICE agent
 * learns a server-reflexive S-O candidate (RFC 6544 section 5.2). RFC 5780's CHANGE-REQUEST
 * has no meaning on a connection: a request for another address or port gets the 420 the
 * single-address server gives. A connection carrying anything but STUN is closed.
 */
import type { Address } from '../../core/address.js'
import type { Callback, Net, StreamListener, StreamSocket } from '../../core/env.js'
import {
  answerStunDatagram,
  StunStreamReader,
  type StunServerConfig,
} from '../../protocols/stun/index.js'

export interface StunTcpServerOptions {
  readonly software?: string
}

export function listenStunTcp(
  net: Net,
  local: Address,
  options: StunTcpServerOptions,
  ready: Callback<StreamListener>,
): void {
  let config: StunServerConfig | undefined
  net.listen(
    local,
    (socket) => {
      if (config === undefined) return socket.destroy()
      serveConnection(config, socket)
    },
    (result) => {
      if (result.ok) {
        const primary = result.value.local
        config =
          options.software === undefined ? { primary } : { primary, software: options.software }
      }
      ready(result)
    },
  )
}

/** Bytes a client may leave unanswered on a connection: one largest message. */
const PENDING_MAX = 65_556

function serveConnection(config: StunServerConfig, socket: StreamSocket): void {
  const reader = new StunStreamReader()
  socket.onData((bytes) => {
    for (const message of reader.push(bytes)) {
      const answer = answerStunDatagram(config, config.primary, socket.remote, message)
      if (answer !== undefined) socket.write(answer.bytes)
    }
    if (reader.broken || reader.buffered > PENDING_MAX) socket.destroy()
  })
}
