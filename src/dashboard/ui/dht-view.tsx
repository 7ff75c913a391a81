import type { DhtBucket } from '../model/api-types.js'
import { formatDuration } from '../model/format.js'
import type { ApiClient } from './api.js'
import { DhtLookups } from './dht-lookups.js'
import { DhtStored } from './dht-stored.js'
import { usePolling } from './use-polling.js'

interface Props {
  readonly api: ApiClient
  readonly onError: (error: unknown) => void
}

/**
 * The DHT node: address, id, totals, its routing table bucket by bucket, and its last
 * operations with their hop-by-hop traces, and what other nodes stored on it.
 */
export function DhtView({ api, onError }: Props) {
  const dht = usePolling(() => api.dht(), 2000, 'dht', onError).value
  const buckets = usePolling(() => api.dhtBuckets(), 2000, 'buckets', onError).value
  const lookups = usePolling(() => api.dhtLookups(), 2000, 'lookups', onError).value
  const stored = usePolling(() => api.dhtStored(), 2000, 'stored', onError).value
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
        <>
          <dl class="summary">
            <div>
              <dt>Address</dt>
              <dd>{dht.address}</dd>
            </div>
            {dht.address6 === undefined ? null : (
              <div>
                <dt>IPv6 address (BEP 32)</dt>
                <dd>{dht.address6}</dd>
              </div>
            )}
            <div class="wide mono">
              <dt>Node id</dt>
              <dd>{dht.id}</dd>
            </div>
            <div>
              <dt>Nodes in the routing table</dt>
              <dd>
                {dht.nodes}
                {dht.nodes6 === undefined ? null : ` (${dht.nodes6} IPv6)`}
              </dd>
            </div>
            <div>
              <dt>Lookups</dt>
              <dd>{dht.lookups}</dd>
            </div>
            <div>
              <dt>Peers stored for others</dt>
              <dd>{dht.peersStored}</dd>
            </div>
            <div>
              <dt>Items stored for others</dt>
              <dd>{dht.itemsStored}</dd>
            </div>
          </dl>
          <h2>Routing table</h2>
          <Buckets buckets={buckets} />
          <h2>Recent lookups</h2>
          <DhtLookups lookups={lookups} />
          <DhtStored stored={stored} />
        </>
      )}
    </section>
  )
}

function Buckets({ buckets }: { buckets: readonly DhtBucket[] | undefined }) {
  if (buckets === undefined) return <p class="empty">Loading…</p>
  return (
    <>
      <table class="buckets">
        <thead>
          <tr>
            <th class="num">Bucket</th>
            <th>Fill</th>
            <th class="num">Good</th>
            <th class="num">Questionable</th>
            <th class="num">Bad</th>
            <th class="num">Waiting</th>
            <th class="num">Changed</th>
          </tr>
        </thead>
        <tbody>
          {buckets.map((b) => (
            <tr key={b.index} data-bucket={b.index}>
              <td class="num" data-label="Bucket">
                {b.index}
              </td>
              <td data-label="Fill">
                <BucketBar bucket={b} />
              </td>
              <td class="num" data-label="Good">
                {b.good}
              </td>
              <td class="num" data-label="Questionable">
                {b.questionable}
              </td>
              <td class="num" data-label="Bad">
                {b.bad}
              </td>
              <td class="num" data-label="Waiting">
                {b.replacements}
              </td>
              <td class="num" data-label="Changed">
                {formatDuration(b.lastChangedMsAgo / 1000)} ago
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <p class="hint">
        A bucket holds the nodes whose id shares its number of leading bits with ours, at most k of
        them; newcomers to a full bucket wait until a node there stops answering. Good: heard from
        in the last 15 minutes; questionable: silent since; bad: failed twice.
      </p>
    </>
  )
}

/** k slots: good, questionable and bad nodes side by side, the rest empty. */
function BucketBar({ bucket }: { bucket: DhtBucket }) {
  const slot = (kind: string, n: number) =>
    Array.from({ length: n }, (_, i) => <span key={`${kind}${i}`} class={`slot slot-${kind}`} />)
  const empty = Math.max(0, bucket.capacity - bucket.nodes)
  return (
    <span
      class="bucket-bar"
      role="img"
      aria-label={`${bucket.nodes} of ${bucket.capacity} slots: ${bucket.good} good, ${bucket.questionable} questionable, ${bucket.bad} bad`}
    >
      {slot('good', bucket.good)}
      {slot('questionable', bucket.questionable)}
      {slot('bad', bucket.bad)}
      {slot('empty', empty)}
    </span>
  )
}
