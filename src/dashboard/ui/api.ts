import type {
  ApiErrorBody,
  DhtBucket,
  DhtLookup,
  DhtStoredListing,
  DhtStatus,
  GnutellaSearchSummary,
  GnutellaSharedFile,
  PieceMapAnswer,
  PluginInfo,
  Settings,
  SettingsChange,
  SwarmPeer,
  TorrentDetail,
  TorrentFile,
  TorrentStatus,
} from '../model/api-types.js'

export const API = '/api/v1'

/** A refusal of the API (or no answer at all: status 0), with its message for the user. */
export class ApiRefusal extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message)
  }
}

type Body = { readonly json: unknown } | { readonly torrent: ArrayBuffer }

/** The daemon's API on this page's own origin, every call with the bearer token. */
export class ApiClient {
  constructor(readonly token: string) {}

  async request<T>(method: string, path: string, body?: Body): Promise<T> {
    const headers: Record<string, string> = { authorization: `Bearer ${this.token}` }
    let payload: string | ArrayBuffer | undefined
    if (body !== undefined && 'json' in body) {
      headers['content-type'] = 'application/json'
      payload = JSON.stringify(body.json)
    } else if (body !== undefined) {
      headers['content-type'] = 'application/x-bittorrent'
      payload = body.torrent
    }
    let response: Response
    try {
      response = await fetch(`${API}${path}`, {
        method,
        headers,
        cache: 'no-store',
        ...(payload === undefined ? {} : { body: payload }),
      })
    } catch {
      throw new ApiRefusal(0, 'unreachable', 'the daemon does not answer: is it still running?')
    }
    if (response.status === 204) return undefined as T
    const text = await response.text()
    const parsed: unknown = text === '' ? undefined : JSON.parse(text)
    if (!response.ok) {
      const error = parsed as Partial<ApiErrorBody> | undefined
      throw new ApiRefusal(
        response.status,
        error?.code ?? 'failed',
        error?.message ?? `HTTP ${response.status}`,
      )
    }
    return parsed as T
  }

  list(): Promise<readonly TorrentStatus[]> {
    return this.request<{ torrents: TorrentStatus[] }>('GET', '/torrents').then((a) => a.torrents)
  }

  detail(infoHash: string): Promise<TorrentDetail> {
    return this.request('GET', `/torrents/${infoHash}`)
  }

  pieces(infoHash: string): Promise<PieceMapAnswer> {
    return this.request('GET', `/torrents/${infoHash}/pieces`)
  }

  swarm(infoHash: string): Promise<readonly SwarmPeer[]> {
    return this.request<{ peers: SwarmPeer[] }>('GET', `/torrents/${infoHash}/swarm`).then(
      (a) => a.peers,
    )
  }

  addMagnet(magnet: string, paused: boolean): Promise<TorrentStatus> {
    return this.request('POST', '/torrents', { json: { magnet, paused } })
  }

  addTorrentFile(bytes: ArrayBuffer, paused: boolean): Promise<TorrentStatus> {
    return this.request('POST', `/torrents?paused=${paused}`, { torrent: bytes })
  }

  addFromDirectory(directory: string, infoHash: string, paused: boolean): Promise<TorrentStatus> {
    return this.request('POST', '/torrents', { json: { directory, infoHash, paused } })
  }

  pause(infoHash: string): Promise<TorrentStatus> {
    return this.request('POST', `/torrents/${infoHash}/pause`)
  }

  resume(infoHash: string): Promise<TorrentStatus> {
    return this.request('POST', `/torrents/${infoHash}/resume`)
  }

  remove(infoHash: string, deleteData: boolean): Promise<void> {
    return this.request('DELETE', `/torrents/${infoHash}?deleteData=${deleteData}`)
  }

  setPriorities(infoHash: string, priorities: readonly number[]): Promise<readonly TorrentFile[]> {
    return this.request<{ files: TorrentFile[] }>('PUT', `/torrents/${infoHash}/files`, {
      json: { priorities },
    }).then((a) => a.files)
  }

  dht(): Promise<DhtStatus> {
    return this.request('GET', '/dht')
  }

  dhtBuckets(): Promise<readonly DhtBucket[]> {
    return this.request<{ buckets: DhtBucket[] }>('GET', '/dht/buckets').then((a) => a.buckets)
  }

  dhtLookups(): Promise<readonly DhtLookup[]> {
    return this.request<{ lookups: DhtLookup[] }>('GET', '/dht/lookups').then((a) => a.lookups)
  }

  dhtStored(): Promise<DhtStoredListing> {
    return this.request('GET', '/dht/stored')
  }

  settings(): Promise<Settings> {
    return this.request('GET', '/settings')
  }

  setSettings(settings: SettingsChange): Promise<Settings> {
    return this.request('PUT', '/settings', { json: settings })
  }

  plugins(): Promise<readonly PluginInfo[]> {
    return this.request<{ plugins: PluginInfo[] }>('GET', '/plugins').then((a) => a.plugins)
  }

  gnutellaShared(): Promise<readonly GnutellaSharedFile[]> {
    return this.request<{ files: GnutellaSharedFile[] }>('GET', '/gnutella/shared').then(
      (a) => a.files,
    )
  }

  gnutellaSearches(): Promise<readonly GnutellaSearchSummary[]> {
    return this.request<{ searches: GnutellaSearchSummary[] }>('GET', '/gnutella/searches').then(
      (a) => a.searches,
    )
  }
}
