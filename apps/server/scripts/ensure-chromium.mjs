// `npm test`'s first step, in plain Node (it runs before anything is installed): the browser
// tests drive a real Chromium, so make sure there is one before minutes of install and build.
// As root on Debian/Ubuntu it installs the distribution's `chromium`; otherwise it stops at
// once with the one command to run. CHROMIUM_PATH points elsewhere, as in test/helpers/browser.ts.
import { spawnSync } from 'node:child_process';
import { accessSync, constants } from 'node:fs';

const path = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const usable = () => {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
};
const has = (command) => spawnSync('sh', ['-c', `command -v ${command}`], { stdio: 'ignore' }).status === 0;

if (!usable()) {
  const root = process.getuid?.() === 0;
  if (root && has('apt-get') && process.env.CHROMIUM_PATH === undefined) {
    console.log('The browser tests need Chromium: installing Debian’s chromium (apt-get)…');
    const install = spawnSync('sh', ['-c', 'apt-get update -qq && apt-get install -y -qq chromium'], {
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    if (install.status !== 0) console.error('apt-get could not install chromium.');
  }
  if (!usable()) {
    const how =
      process.env.CHROMIUM_PATH !== undefined
        ? 'export CHROMIUM_PATH=/path/to/chromium   # a Chromium or Chrome that exists, or unset it'
        : has('apt-get')
          ? 'sudo apt-get install -y chromium'
          : 'export CHROMIUM_PATH=/path/to/chromium   # after installing Chromium or Chrome';
    console.error(
      `The browser tests need Chromium at ${path}, and it is not there. Run:\n\n  ${how}\n\nthen npm test again.`,
    );
    process.exit(1);
  }
}
