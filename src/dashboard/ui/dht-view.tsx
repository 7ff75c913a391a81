import type { ApiClient } from './api.js'
import { usePolling } from './use-polling.js'

interface Props {
  readonly api: ApiClient
  readonly onError: (error: unknown) => void
}

/** The DHT node as the API shows it: address, id, routing table size, lookups so far. */
export function DhtView({ api, onError }: Props) {
  const dht = usePolling(() => api.dht(), 2000, 'dht', onError).value
  return (
    <section aria-labelledby="dht-title">
      <h1 id="dht-title">DHT</h1>
      {dht === undefined ? (
        <p class="empty">Loading…</p>
      ) : !dht.enabled ? (
        <p class="empty">
          The DHT is off in this daemon (config <code>[dht] enabled = false</code>).
        </p>
      ) : (
        <dl class="summary">
          <div>
            <dt>Address</dt>
            <dd>{dht.address}</dd>
          </div>
          <div>
            <dt>Node id</dt>
            <dd class="mono">{dht.id}</dd>
          </div>
          <div>
            <dt>Nodes in the routing table</dt>
            <dd>{dht.nodes}</dd>
          </div>
          <div>
            <dt>Lookups</dt>
            <dd>{dht.lookups}</dd>
          </div>
        </dl>
      )}
    </section>
  )
}
