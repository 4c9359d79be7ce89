import { describe, expect, it } from '@jest/globals';
import {
  refusedRange,
  RefusedAddressError,
  resolveDeliverable,
  UnresolvedHostError,
} from './address-policy.js';

describe('which addresses a webhook may reach', () => {
  it.each([
    ['10.1.2.3', 'private'],
    ['172.16.0.1', 'private'],
    ['192.168.1.1', 'private'],
    ['127.0.0.1', 'loopback'],
    ['169.254.169.254', 'linkLocal'],
    ['100.64.0.1', 'carrierGradeNat'],
    ['224.0.0.1', 'multicast'],
    ['0.0.0.0', 'unspecified'],
    ['255.255.255.255', 'broadcast'],
    ['::1', 'loopback'],
    ['::', 'unspecified'],
    ['fe80::1', 'linkLocal'],
    ['fd00::1', 'uniqueLocal'],
    ['ff02::1', 'multicast'],
    ['::ffff:127.0.0.1', 'loopback'],
    ['::ffff:10.0.0.1', 'private'],
    ['64:ff9b::a00:1', 'rfc6052'],
    ['2002:a00:1::', '6to4'],
  ])('refuses %s (%s)', (address, range) => {
    expect(refusedRange(address)).toBe(range);
  });

  it.each(['93.184.215.14', '8.8.8.8', '2606:4700:4700::1111', '::ffff:93.184.215.14'])(
    'takes %s',
    (address) => {
      expect(refusedRange(address)).toBeUndefined();
    },
  );

  it('refuses a host that resolves to a loopback address, unless private addresses are allowed', async () => {
    await expect(resolveDeliverable('localhost', false)).rejects.toBeInstanceOf(RefusedAddressError);
    await expect(resolveDeliverable('127.0.0.1', false)).rejects.toThrow(
      /127\.0\.0\.1, in the loopback range/,
    );
    await expect(resolveDeliverable('::1', false)).rejects.toThrow(/loopback/);
    await expect(resolveDeliverable('127.0.0.1', true)).resolves.toEqual([
      { address: '127.0.0.1', family: 4 },
    ]);
  });

  it('takes a public address literal without asking DNS', async () => {
    await expect(resolveDeliverable('8.8.8.8', false)).resolves.toEqual([{ address: '8.8.8.8', family: 4 }]);
  });

  it('tells a host that does not resolve', async () => {
    await expect(resolveDeliverable('no-such-host.invalid', false)).rejects.toBeInstanceOf(
      UnresolvedHostError,
    );
  });
});
