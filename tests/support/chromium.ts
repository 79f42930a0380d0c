export {
  chooseChromium,
  chromiumArgs,
  chromiumPathOrNull as chromiumPath,
} from '../../scripts/chromium-path.mjs';
