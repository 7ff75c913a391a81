import type { DhtLookup } from '../model/api-types.js'
import { formatAgo } from '../model/format.js'

/** What each operation kind is, in words for the list. */
const KIND_NAMES: Readonly<Record<string, string>> = {
  bootstrap: 'bootstrap',
  find_node: 'find node',
  get_peers: 'get peers',
  announce: 'announce',
  get: 'get item',
  put_immutable: 'put item',
  put_mutable: 'put mutable item',
  ping: 'ping',
  refresh: 'bucket refresh',
}

/** The DHT's last finished operations, newest first; each opens onto its per-hop trace. */
export function DhtLookups({ lookups }: { lookups: readonly DhtLookup[] | undefined }) {
  if (lookups === undefined) return <p class="empty">Loading…</p>
  if (lookups.length === 0) return <p class="empty">No lookup has finished yet.</p>
  return (
    <>
      <ol class="lookups">
        {lookups.map((lookup) => (
          // Keyed by seq: a polled refresh keeps an opened trace open.
          <li key={lookup.seq} data-kind={lookup.kind}>
            <details>
              <summary>
                <strong>{KIND_NAMES[lookup.kind] ?? lookup.kind}</strong>{' '}
                <span class="mono">{lookup.target.slice(0, 16)}…</span> ·{' '}
                {formatAgo(0, lookup.finishedMsAgo)} · {lookup.durationMs} ms · {lookup.hops} hops ·{' '}
                {lookup.nodesContacted} nodes · {lookup.messages} messages
                {lookup.peersFound > 0 && <> · {lookup.peersFound} peers found</>}
                {lookup.stored > 0 && <> · stored on {lookup.stored}</>}
              </summary>
              <HopTrace lookup={lookup} />
            </details>
          </li>
        ))}
      </ol>
      <p class="hint">
        Depth 0 is the nodes we asked first (the closest in our table); depth n+1 the nodes that
        depth-n answers named. A lookup ends when the k closest nodes it knows have answered.
      </p>
    </>
  )
}

function HopTrace({ lookup }: { lookup: DhtLookup }) {
  if (lookup.perHop.length === 0) {
    return (
      <p class="empty">
        Only the nodes it was given were asked ({lookup.messages} messages); no hop followed.
      </p>
    )
  }
  return (
    <table class="hops">
      <thead>
        <tr>
          <th class="num">Depth</th>
          <th class="num">Queried</th>
          <th class="num">Answered</th>
        </tr>
      </thead>
      <tbody>
        {lookup.perHop.map((hop) => (
          <tr key={hop.depth}>
            <td class="num" data-label="Depth">
              {hop.depth}
            </td>
            <td class="num" data-label="Queried">
              {hop.queried}
            </td>
            <td class="num" data-label="Answered">
              {hop.answered}
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  )
}
