import { parseAddress } from '../../src/core/address.js'
import { utf8, fromUtf8 } from '../../src/core/bytes.js'
import { attachAgent } from '../../src/drivers/holepunch/attach-agent.js'
import { connectSignal } from '../../src/drivers/holepunch/signal-tcp.js'
import type { StreamSocket } from '../../src/core/env.js'
import { createNodeEnv } from '../../src/drivers/node/env.js'
import { IceAgent, type AgentRole } from '../../src/protocols/holepunch/index.js'

/**
 * One peer of the NAT bed's hole-punch test, run inside a host namespace behind a NAT box:
 * gathers (host, server-reflexive from STUN, relayed from relay-lite), swaps descriptions
 * through the rendezvous, runs the checks, then proves the selected pair carries data (the
 * controlling side sends 3 datagrams, the controlled side echoes them). Prints one JSON line.
 * Usage: node holepunch-peer-main.js ROLE SESSION LOCAL_IP STUN RELAY SIGNAL
 * (RELAY: relay-lite HOST:PORT, or turn:USER:PASSWORD@HOST:PORT)
 * PLEXUS_PEER_TCP=1 adds TCP candidates (RFC 6544): passive on LOCAL_IP:7100, S-O from
 * LOCAL_IP:7200 (its server-reflexive candidate from the STUN server over TCP).
 */
const [role, session = '', localIp = '', stunText = '', relayText = '', signalText = ''] =
  process.argv.slice(2)
const stun = parseAddress(stunText)
// RELAY is relay-lite's HOST:PORT, or turn:USER:PASSWORD@HOST:PORT for a TURN server
const turnMatch = /^turn:([^:@]+):([^@]+)@(.+)$/.exec(relayText)
const relay = parseAddress(turnMatch?.[3] ?? relayText)
const signal = parseAddress(signalText)
if ((role !== 'controlling' && role !== 'controlled') || !stun || !relay || !signal) {
  console.error('usage: ROLE SESSION LOCAL_IP STUN RELAY SIGNAL')
  process.exit(2)
}
const env = createNodeEnv({ loopbackOnly: false })
const deadline = setTimeout(() => {
  console.log(JSON.stringify({ type: 'result', ok: false, reason: 'deadline' }))
  process.exit(1)
}, 25_000)

const withTcp = process.env['PLEXUS_PEER_TCP'] === '1'
const PASSIVE = { host: localIp, port: 7100 }
const SO = { host: localIp, port: 7200 }
let accept: (socket: StreamSocket) => void = (socket) => socket.destroy()
if (withTcp) {
  env.net.listen(
    PASSIVE,
    (socket) => accept(socket),
    (ready) => {
      if (!ready.ok) throw new Error(ready.error.message)
    },
  )
}

env.net.bindDatagram({ host: localIp, port: 0 }, (bound) => {
  if (!bound.ok) throw new Error(bound.error.message)
  const socket = bound.value
  void connectSignal(signal.host, signal.port).then(async (channel) => {
    const agent = new IceAgent(role as AgentRole, env.random, [socket.local], {
      stunServers: [stun],
      ...(turnMatch === null
        ? { relay }
        : { turn: { server: relay, username: turnMatch[1] ?? '', password: turnMatch[2] ?? '' } }),
      ...(withTcp ? { tcp: { passive: PASSIVE, so: SO }, gatherTimeoutMs: 1500 } : {}),
    })
    const streams = { net: env.net, onAccept: (handler: typeof accept) => (accept = handler) }
    const debug = process.env['PLEXUS_HOLEPUNCH_DEBUG'] === '1'
    const peer = attachAgent(
      agent,
      socket,
      env.clock,
      channel,
      session,
      (event) => {
        if (debug) console.error(JSON.stringify(event.type === 'data' ? { type: 'data' } : event))
      },
      withTcp ? streams : undefined,
    )
    let echoed = 0
    const done = new Promise<void>((resolve) => {
      peer.onData((bytes) => {
        if (role === 'controlled') peer.send(bytes)
        else if (fromUtf8(bytes).startsWith('probe')) echoed++
        if (role === 'controlled' || echoed === 3) resolve()
      })
    })
    try {
      const report = await peer.connected
      // sent at once from the selection on; repeated (UDP) until three echoes are back
      let probes = 0
      const probe = (): void => {
        peer.send(utf8(`probe ${probes++}`))
        if (debug) console.error(JSON.stringify({ type: 'probe', probes }))
      }
      if (role === 'controlling') for (let i = 0; i < 3; i++) probe()
      const prober = role === 'controlling' ? setInterval(probe, 100) : undefined
      await done
      clearInterval(prober)
      // the controlled side lingers so that the last echo and late checks are answered
      if (role === 'controlled') await new Promise((r) => setTimeout(r, 500))
      console.log(JSON.stringify({ type: 'result', ok: true, report, probes }))
      clearTimeout(deadline)
      peer.close()
      process.exit(0)
    } catch (error) {
      console.log(JSON.stringify({ type: 'result', ok: false, reason: String(error) }))
      process.exit(1)
    }
  })
})
