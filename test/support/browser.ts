/** The dashboard tests' browser: the same launcher the dashboard benchmark uses. */
export { CHROMIUM_PATH, launchBrowser, type Browser } from '../../scripts/bench/chromium.js';
