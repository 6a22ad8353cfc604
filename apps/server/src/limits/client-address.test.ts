import { BlockList } from 'node:net';
import { describe, expect, it } from 'vitest';
import { addressBudget } from './client-address.js';

describe('addressBudget', () => {
  it.each([
    ['198.18.0.7', '198.18.0.7'],
    ['2001:db8:aa:bb::1', '2001:db8:aa:bb::/64'],
    ['2001:DB8:AA:BB:ffff:ffff:ffff:ffff', '2001:db8:aa:bb::/64'],
    ['2001:0db8:00aa:00bb:0000:0000:0000:0001', '2001:db8:aa:bb::/64'],
    ['2001:db8:aa:bc::1', '2001:db8:aa:bc::/64'],
    ['2001:db8::', '2001:db8:0:0::/64'],
    ['::', '0:0:0:0::/64'],
    ['::1', '0:0:0:0::/64'],
    ['fe80::1%eth0', 'fe80:0:0:0::/64'],
    ['2001:db8:aa:bb::198.18.0.7', '2001:db8:aa:bb::/64'],
    ['::ffff:198.18.0.7', '198.18.0.7'],
    ['::FFFF:c612:7', '198.18.0.7'],
    ['0:0:0:0:0:ffff:c612:0007', '198.18.0.7'],
    ['', 'unknown'],
    [undefined, 'unknown'],
    ['not an address', 'not an address'],
  ])('%s counts as %s', (ip, budget) => {
    expect(addressBudget(ip)).toBe(budget);
  });

  it('gives every address of one /64 the same budget, and none outside it', () => {
    const subnet = new BlockList();
    subnet.addSubnet('2001:db8:aa:bb::', 64, 'ipv6');
    const inside = ['2001:db8:aa:bb::', '2001:db8:aa:bb:1:2:3:4', '2001:db8:aa:bb:ffff:ffff:ffff:ffff'];
    const outside = ['2001:db8:aa:ba:ffff:ffff:ffff:ffff', '2001:db8:aa:bc::', '2001:db8:ab:bb::1'];
    for (const ip of inside) {
      expect(subnet.check(ip, 'ipv6'), ip).toBe(true);
      expect(addressBudget(ip), ip).toBe('2001:db8:aa:bb::/64');
    }
    for (const ip of outside) {
      expect(subnet.check(ip, 'ipv6'), ip).toBe(false);
      expect(addressBudget(ip), ip).not.toBe('2001:db8:aa:bb::/64');
    }
  });
});
