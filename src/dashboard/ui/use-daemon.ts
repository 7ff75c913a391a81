import { useEffect, useRef, useState } from 'preact/hooks'
import type { StatsEvent, TorrentStatus } from '../model/api-types.js'
import { changesList } from '../model/events.js'
import { recordStats, type RateHistory } from '../model/rate-history.js'
import type { ApiClient } from './api.js'
import { followEvents, type StreamStatus } from './event-stream.js'

export interface DaemonState {
  readonly torrents: readonly TorrentStatus[] | undefined
  readonly totals: { readonly downloadRate: number; readonly uploadRate: number } | undefined
  readonly history: RateHistory
  readonly status: StreamStatus
  /** Asks for the list now (after an action), not at the next `stats` event. */
  readonly refresh: () => void
}

/** The live state of the daemon: the event stream's `stats`, and the list after each change. */
export function useDaemon(api: ApiClient): DaemonState {
  const [torrents, setTorrents] = useState<readonly TorrentStatus[] | undefined>(undefined)
  const [totals, setTotals] = useState<DaemonState['totals']>(undefined)
  const [history, setHistory] = useState<RateHistory>(new Map())
  const [status, setStatus] = useState<StreamStatus>('connecting')

  // One list request at a time; a change during it asks for one more afterwards.
  const pending = useRef<'idle' | 'busy' | 'again'>('idle')
  const refresh = (): void => {
    if (pending.current !== 'idle') {
      pending.current = 'again'
      return
    }
    pending.current = 'busy'
    const done = (): void => {
      const again = pending.current === 'again'
      pending.current = 'idle'
      if (again) refresh()
    }
    api.list().then(
      (list) => {
        setTorrents(list)
        done()
      },
      // A failed refresh is not worth a message: the next stats event brings the list.
      done,
    )
  }

  useEffect(() => {
    const onStats = (stats: StatsEvent): void => {
      setTorrents(stats.torrents)
      setTotals({ downloadRate: stats.downloadRate, uploadRate: stats.uploadRate })
      setHistory((old) => recordStats(old, stats.torrents, stats, Date.now()))
    }
    const onChange = (type: string): void => {
      if (changesList(type)) refresh()
    }
    return followEvents(api.token, { onStats, onChange, onStatus: setStatus })
  }, [api])

  return { torrents, totals, history, status, refresh }
}
