import { useEffect, useState } from 'preact/hooks'

/**
 * Calls `load` now and every `everyMs` while mounted (and again when `key` changes); keeps the
 * last answer. A refusal goes to `onError` once per run of failures, not every period.
 */
export function usePolling<T>(
  load: () => Promise<T>,
  everyMs: number,
  key: string,
  onError: (error: unknown) => void,
): { readonly value: T | undefined; readonly reload: () => void } {
  const [value, setValue] = useState<T | undefined>(undefined)
  const [tick, setTick] = useState(0)
  useEffect(() => {
    let live = true
    let failing = false
    const run = (): void => {
      load().then(
        (answer) => {
          failing = false
          if (live) setValue(answer)
        },
        (error: unknown) => {
          if (live && !failing) onError(error)
          failing = true
        },
      )
    }
    run()
    const timer = setInterval(run, everyMs)
    return () => {
      live = false
      clearInterval(timer)
    }
  }, [key, tick])
  return { value, reload: () => setTick((t) => t + 1) }
}
