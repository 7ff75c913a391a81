import { startRelayServer } from '../../src/drivers/holepunch/relay-server.js'
import { startSignalServer } from '../../src/drivers/holepunch/signal-tcp.js'
import { createNodeEnv } from '../../src/drivers/node/env.js'

/**
 * The public helper of the NAT bed (run inside the bed's public namespace, never on the host):
 * a relay-lite server on UDP `host:port` and a signalling rendezvous on TCP `host:port+1`.
 * Prints one JSON line when ready, and the relay's counters on SIGTERM.
 * Usage: node holepunch-relay-main.js HOST PORT
 */
const [host = '', portText = ''] = process.argv.slice(2)
const port = Number(portText)
const env = createNodeEnv({ loopbackOnly: false })
startRelayServer(
  env.net,
  env.clock,
  { publicHost: host, controlPort: port, portFirst: 49152, portCount: 1000 },
  (relay) => {
    if (relay instanceof Error) throw relay
    void startSignalServer(host, port + 1).then(({ server }) => {
      console.log(JSON.stringify({ type: 'ready', relay: `${host}:${port}`, signal: port + 1 }))
      process.once('SIGTERM', () => {
        console.log(JSON.stringify({ type: 'stats', ...relay.server.stats }))
        relay.close()
        server.close()
        process.exit(0)
      })
    })
  },
  // batched sends, as a Node peer's relay (reachability-relay.ts)
  (fn) => setImmediate(fn),
)
