import { chromium, type Browser } from 'playwright-core';
import { chromiumPath } from './test-deps.js';

/** Chromium as installed on the machine (`CHROMIUM_PATH`, else Debian's), headless, with the flags this closed network needs (never a browser download). */
export function launchChromium(extraArgs: string[] = []): Promise<Browser> {
  return chromium.launch({
    executablePath: chromiumPath(),
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      ...extraArgs,
    ],
  });
}
