import type { DhtStoredListing } from '../model/api-types.js'
import { formatAgo, formatBytes } from '../model/format.js'

/**
 * What other nodes stored on our DHT node: the swarms announced to us and the BEP 44 items put
 * on us, each newest first (the daemon lists at most 200 of each and says how many it holds).
 */
export function DhtStored({ stored }: { stored: DhtStoredListing | undefined }) {
  return (
    <>
      <h2>Stored peers</h2>
      {stored === undefined ? <p class="empty">Loading…</p> : <StoredSwarms stored={stored} />}
      <h2>Stored items</h2>
      {stored === undefined ? <p class="empty">Loading…</p> : <StoredItems stored={stored} />}
    </>
  )
}

function StoredSwarms({ stored }: { stored: DhtStoredListing }) {
  if (stored.swarms.length === 0) {
    return <p class="empty">No node has announced a peer to us yet.</p>
  }
  return (
    <>
      <table class="stored-swarms">
        <thead>
          <tr>
            <th>Info-hash</th>
            <th class="num">Peers</th>
            <th class="num">Seeds</th>
            <th class="num">Newest announce</th>
            <th class="num">Oldest announce</th>
          </tr>
        </thead>
        <tbody>
          {stored.swarms.map((s) => (
            <tr key={s.infoHash}>
              <td class="mono" data-label="Info-hash" title={s.infoHash}>
                {s.infoHash.slice(0, 16)}…
              </td>
              <td class="num" data-label="Peers">
                {s.peers}
              </td>
              <td class="num" data-label="Seeds">
                {s.seeds}
              </td>
              <td class="num" data-label="Newest announce">
                {formatAgo(0, s.newestAnnounceMsAgo)}
              </td>
              <td class="num" data-label="Oldest announce">
                {formatAgo(0, s.oldestAnnounceMsAgo)}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <Shown count={stored.swarms.length} total={stored.swarmsTotal} what="swarms" />
    </>
  )
}

function StoredItems({ stored }: { stored: DhtStoredListing }) {
  if (stored.items.length === 0) return <p class="empty">No node has put an item on us yet.</p>
  return (
    <>
      <table class="stored-items">
        <thead>
          <tr>
            <th>Target</th>
            <th>Kind</th>
            <th>Public key</th>
            <th class="num">Seq</th>
            <th class="num">Size</th>
            <th class="num">Stored</th>
          </tr>
        </thead>
        <tbody>
          {stored.items.map((item) => (
            <tr key={item.target}>
              <td class="mono" data-label="Target" title={item.target}>
                {item.target.slice(0, 16)}…
              </td>
              <td data-label="Kind">{item.mutable ? 'mutable' : 'immutable'}</td>
              <td class="mono" data-label="Public key" title={item.publicKey}>
                {item.publicKey === undefined ? '—' : `${item.publicKey.slice(0, 16)}…`}
              </td>
              <td class="num" data-label="Seq">
                {item.seq ?? '—'}
              </td>
              <td class="num" data-label="Size">
                {formatBytes(item.valueBytes)}
              </td>
              <td class="num" data-label="Stored">
                {formatAgo(0, item.storedMsAgo)}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <Shown count={stored.items.length} total={stored.itemsTotal} what="items" />
    </>
  )
}

/** Says when the list is cut short (the daemon sends the most recent 200). */
function Shown({ count, total, what }: { count: number; total: number; what: string }) {
  if (count >= total) return null
  return (
    <p class="hint">
      The {count} most recent of {total} {what}.
    </p>
  )
}
