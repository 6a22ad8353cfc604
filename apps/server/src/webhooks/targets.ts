import { promises as dns, type LookupAddress } from 'node:dns';
import { isIP } from 'node:net';
import { errorMessage, type WebhookTargetRefusal, type WebhookTargets } from '@tessera/api';
import ipaddr from 'ipaddr.js';

/** Resolves a host name to every address it has (dns.lookup with `all`); tests inject their own. */
export type ResolveHost = (hostname: string) => Promise<LookupAddress[]>;

export const systemResolver: ResolveHost = (hostname) => dns.lookup(hostname, { all: true, verbatim: true });

/** Where one attempt connects: an address that was checked, kept for the connection (no second lookup). */
export interface CheckedTarget {
  url: URL;
  address: string;
  family: 4 | 6;
}

/** Thrown when a webhook URL may not be called; the (English) message is for the delivery log. */
export class TargetRefusedError extends Error {
  override name = 'TargetRefusedError';
  constructor(readonly refusal: WebhookTargetRefusal) {
    super(errorMessage('webhook_target_not_allowed', 'en', refusal));
  }
}

/**
 * The SSRF defence, in one place for creation and for every send: a URL's host must resolve
 * only to public unicast addresses (ipaddr.js's `unicast` range). Refused: loopback, private
 * (RFC 1918, IPv6 unique-local), link-local (and so the 169.254.169.254 metadata service),
 * carrier-grade NAT, unspecified, broadcast, multicast, reserved and documentation ranges,
 * and IPv6 forms that carry an IPv4 address (mapped, NAT64, 6to4, Teredo), unless
 * `allowPrivate` (WEBHOOK_ALLOW_PRIVATE=true).
 */
export function webhookTargetGuard(options: { allowPrivate: boolean; resolve?: ResolveHost }) {
  const resolve = options.resolve ?? systemResolver;

  /** Resolves `url`'s host now and returns the address to connect to, or throws TargetRefusedError. */
  async function check(url: URL): Promise<CheckedTarget> {
    const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
    let addresses: LookupAddress[];
    if (isIP(host)) addresses = [{ address: host, family: isIP(host) }];
    else {
      try {
        addresses = await resolve(host);
      } catch {
        throw new TargetRefusedError({ problem: 'unresolvable', host });
      }
      if (addresses.length === 0) throw new TargetRefusedError({ problem: 'no_address', host });
    }
    if (!options.allowPrivate)
      // Every address, not just the first: a host with one public and one private address
      // must not become a way in.
      for (const { address } of addresses) {
        const range = rangeOf(address);
        if (range !== 'unicast')
          throw new TargetRefusedError({ problem: 'not_public', host, address, range });
      }
    const first = addresses[0]!;
    return { url, address: first.address, family: first.family === 6 ? 6 : 4 };
  }

  const targets: WebhookTargets = {
    async refusal(url) {
      try {
        await check(new URL(url));
        return undefined;
      } catch (error) {
        if (error instanceof TargetRefusedError) return error.refusal;
        throw error;
      }
    },
  };
  return { check, targets };
}

export type WebhookTargetGuard = ReturnType<typeof webhookTargetGuard>;

/** IPv6's global unicast block: the only IPv6 addresses a webhook may call. */
const GLOBAL_UNICAST_V6 = ipaddr.IPv6.parseCIDR('2000::/3');

/** ipaddr.js's name for the range of an address (`unicast` for a public one); `invalid` if unparsable. */
function rangeOf(address: string): string {
  try {
    // process() turns an IPv4-mapped IPv6 address back into the IPv4 one it carries.
    const parsed = ipaddr.process(address);
    const range = parsed.range();
    // ipaddr.js names `unicast` whatever it has no other name for, the deprecated
    // IPv4-compatible ::a.b.c.d (::/96, which some stacks route to the IPv4 address) among
    // them: an IPv6 address outside 2000::/3 is not public.
    if (range === 'unicast' && parsed instanceof ipaddr.IPv6 && !parsed.match(GLOBAL_UNICAST_V6))
      return 'reserved';
    return range;
  } catch {
    return 'invalid';
  }
}
