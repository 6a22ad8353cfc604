import { i18n } from './i18n/index.js';

/** "Firefox on Windows" from a User-Agent header: enough to recognise one's own devices. */
export function describeUserAgent(ua: string | null): string {
  if (!ua) return i18n.t('device.unknown');
  // Product names stay as they are in every language; only the generic words are translated.
  const browser = /Edg\//.test(ua)
    ? 'Edge'
    : /OPR\//.test(ua)
      ? 'Opera'
      : /Firefox\//.test(ua)
        ? 'Firefox'
        : /Chrom(e|ium)\//.test(ua)
          ? 'Chrome'
          : /Safari\//.test(ua)
            ? 'Safari'
            : /^node|undici|curl|python|Go-http/i.test(ua)
              ? i18n.t('device.apiClient')
              : i18n.t('device.browser');
  const os = /Android/.test(ua)
    ? 'Android'
    : /iPhone|iPad|iPod/.test(ua)
      ? 'iOS'
      : /Windows/.test(ua)
        ? 'Windows'
        : /Mac OS X|Macintosh/.test(ua)
          ? 'macOS'
          : /CrOS/.test(ua)
            ? 'ChromeOS'
            : /Linux/.test(ua)
              ? 'Linux'
              : '';
  return os ? i18n.t('device.browserOn', { browser, os }) : browser;
}
