export { chromiumPathOrNull as chromiumPath } from '../../scripts/chromium-path.mjs';
