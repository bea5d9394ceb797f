import { render } from 'preact';
import { App } from './app';
import '../styles/app.css';

/** The settings page's entry point (bundled by scripts/build-web.ts into /assets/app.js and /assets/app.css). */
const root = document.getElementById('root');
if (root) render(<App />, root);
