import { render } from 'preact'
import { App } from './app.js'
import { applyTheme, savedTheme } from './theme.js'
import './styles.css'

applyTheme(savedTheme())
const root = document.getElementById('app')
if (root !== null) render(<App />, root)
