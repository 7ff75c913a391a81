/** The colour scheme: the system's (prefers-color-scheme) unless the user picked one. */
export type Theme = 'auto' | 'light' | 'dark'

const KEY = 'plexus-theme'
const ORDER: readonly Theme[] = ['auto', 'light', 'dark']

export function savedTheme(): Theme {
  const saved = localStorage.getItem(KEY)
  return saved === 'light' || saved === 'dark' ? saved : 'auto'
}

export function applyTheme(theme: Theme): void {
  if (theme === 'auto') delete document.documentElement.dataset['theme']
  else document.documentElement.dataset['theme'] = theme
  if (theme === 'auto') localStorage.removeItem(KEY)
  else localStorage.setItem(KEY, theme)
}

export const nextTheme = (theme: Theme): Theme =>
  ORDER[(ORDER.indexOf(theme) + 1) % ORDER.length] as Theme
