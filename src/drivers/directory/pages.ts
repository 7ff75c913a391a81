import { peersChart } from './chart.js'
import { formatDate, formatSize } from './format.js'
import { html, layout, type Html } from './html.js'
import type {
  SearchPage,
  Sample,
  SortColumn,
  SortOrder,
  SwarmCounts,
  TorrentDetail,
  TorrentSummary,
} from './index-db.js'

/** The two web pages: the torrent list (search, sort, pages) and one torrent's stats. */

export interface ListParams {
  readonly q: string
  readonly sort: SortColumn
  readonly order: SortOrder
  /** 1-based. */
  readonly page: number
}

const COLUMNS: readonly { key: SortColumn; label: string; numeric: boolean }[] = [
  { key: 'name', label: 'Name', numeric: false },
  { key: 'added', label: 'Added', numeric: false },
  { key: 'length', label: 'Size', numeric: true },
  { key: 'completed', label: 'Completed', numeric: true },
  { key: 'seeders', label: 'Seeds', numeric: true },
  { key: 'leechers', label: 'Leechers', numeric: true },
]

/** A list-page URL with these parameters (values percent-encoded; escaped where used). */
export function listHref(params: ListParams): string {
  const query = new URLSearchParams()
  if (params.q !== '') query.set('q', params.q)
  query.set('sort', params.sort)
  query.set('order', params.order)
  if (params.page > 1) query.set('page', String(params.page))
  return `/?${query.toString()}`
}

function header(params: ListParams, key: SortColumn, label: string, numeric: boolean): Html {
  const active = params.sort === key
  // Clicking the active column flips its order; a new column starts at its natural order.
  const order: SortOrder = active
    ? params.order === 'asc'
      ? 'desc'
      : 'asc'
    : key === 'name'
      ? 'asc'
      : 'desc'
  const arrow = active ? (params.order === 'asc' ? ' ▲' : ' ▼') : ''
  const href = listHref({ ...params, sort: key, order, page: 1 })
  return html`<th class="${numeric ? 'n' : ''}"><a href="${href}">${label}${arrow}</a></th>`
}

function row(t: TorrentSummary): Html {
  return html`<tr>
    <td class="name">
      <a href="/torrent/${t.infoHash}">${t.name}</a>
      <span class="muted"
        >· <a href="/torrents/${t.infoHash}.torrent">.torrent</a> ·
        <a href="${t.magnet}">magnet</a></span
      >
    </td>
    <td class="n">${t.fileCount}</td>
    <td>${formatDate(t.added)}</td>
    <td class="n">${formatSize(t.length)}</td>
    <td class="n">${t.completed}</td>
    <td class="n">${t.seeders}</td>
    <td class="n">${t.leechers}</td>
    <td>${t.uploader}</td>
  </tr>`
}

export function listPage(page: SearchPage, params: ListParams): string {
  const title = params.q === '' ? 'plexus directory' : `${params.q} - plexus directory`
  const pager = html`<div class="pager">
    ${
      params.page > 1
        ? html`<a rel="prev" href="${listHref({ ...params, page: params.page - 1 })}"
            >« previous</a
          >`
        : ''
    }<span>page ${params.page}</span>${
      page.hasMore
        ? html`<a rel="next" href="${listHref({ ...params, page: params.page + 1 })}">next »</a>`
        : ''
    }
  </div>`
  const headers = COLUMNS.map((c) => header(params, c.key, c.label, c.numeric))
  const body =
    page.results.length === 0
      ? html`<p>No torrents${params.q === '' ? '' : html` match <b>${params.q}</b>`}.</p>`
      : html`<table>
            <thead>
              <tr>
                ${headers[0]}
                <th class="n">Files</th>
                ${headers.slice(1)}
                <th>Published by</th>
              </tr>
            </thead>
            <tbody>
              ${page.results.map(row)}
            </tbody>
          </table>
          ${pager}`
  return layout(
    title,
    html`<form method="get" action="/" role="search">
        <input
          type="search"
          name="q"
          value="${params.q}"
          placeholder="search names and files"
          aria-label="search"
        />
        <input type="hidden" name="sort" value="${params.sort}" />
        <input type="hidden" name="order" value="${params.order}" />
        <button type="submit">Search</button>
      </form>
      ${body}`,
  )
}

export function torrentPage(
  t: TorrentDetail,
  counts: SwarmCounts,
  samples: readonly Sample[],
  now: number,
): string {
  const files = t.files.map(
    (f) =>
      html`<tr>
        <td class="name">${f.path}</td>
        <td class="n">${formatSize(f.length)}</td>
      </tr>`,
  )
  return layout(
    `${t.name} - plexus directory`,
    html`<h2 class="name">${t.name}</h2>
      <p>
        <a href="/torrents/${t.infoHash}.torrent">Download .torrent</a> ·
        <a href="${t.magnet}">magnet link</a>
      </p>
      <div class="stats">
        <div>${counts.seeders}<span>complete (seeding)</span></div>
        <div>${counts.leechers}<span>downloading</span></div>
        <div>${counts.completed}<span>downloaded</span></div>
      </div>
      <h3>Peers over time</h3>
      ${peersChart(samples, now)}
      <table>
        <tbody>
          <tr>
            <th>Info-hash</th>
            <td><code>${t.infoHash}</code></td>
          </tr>
          <tr>
            <th>Size</th>
            <td>${formatSize(t.length)} (${t.length} bytes)</td>
          </tr>
          <tr>
            <th>Piece length</th>
            <td>${formatSize(t.pieceLength)}</td>
          </tr>
          <tr>
            <th>Added</th>
            <td>${formatDate(t.added)} UTC</td>
          </tr>
          <tr>
            <th>Published by</th>
            <td>${t.uploader}</td>
          </tr>
        </tbody>
      </table>
      <h3>Files (${t.fileCount})</h3>
      ${filePager(t)}
      <table>
        <thead>
          <tr>
            <th>Path</th>
            <th class="n">Size</th>
          </tr>
        </thead>
        <tbody>
          ${files}
        </tbody>
      </table>`,
  )
}

/** Links to the neighbouring pages of a long file list (nothing when it fits on one). */
function filePager(t: TorrentDetail): Html | string {
  if (t.filePages <= 1) return ''
  const href = (page: number): string => `/torrent/${t.infoHash}?file_page=${page}`
  return html`<div class="pager">
    ${t.filePage > 1 ? html`<a rel="prev" href="${href(t.filePage - 1)}">« previous</a>` : ''}
    <span>files page ${t.filePage} of ${t.filePages}</span>
    ${t.filePage < t.filePages ? html`<a rel="next" href="${href(t.filePage + 1)}">next »</a>` : ''}
  </div>`
}

export function errorPage(status: number, message: string): string {
  return layout(
    `${status} - plexus directory`,
    html`<h2>${status}</h2>
      <p>${message}</p>`,
  )
}
