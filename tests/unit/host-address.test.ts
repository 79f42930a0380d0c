import { describe, expect, it } from 'vitest';
import { splitAddress } from '../../renderer/lib/features/hosts/host-address';

describe('an address pasted to add a host', () => {
  it('takes the token from the address serve mode printed, and leaves it out of the address', () => {
    expect(splitAddress(' http://127.0.0.1:7777/#token=abc-DEF_1 ', '')).toEqual({
      url: 'http://127.0.0.1:7777',
      token: 'abc-DEF_1',
    });
  });

  it('prefers a token typed apart, and keeps an address without one as it is', () => {
    expect(splitAddress('http://127.0.0.1:7777/#token=old', ' new ')).toEqual({
      url: 'http://127.0.0.1:7777',
      token: 'new',
    });
    expect(splitAddress('http://[::1]:7777', 'tok')).toEqual({ url: 'http://[::1]:7777', token: 'tok' });
  });

  it('gives an empty token when there is none (the contract then refuses it)', () => {
    expect(splitAddress('http://127.0.0.1:7777/#recording=file:1', '')).toEqual({
      url: 'http://127.0.0.1:7777',
      token: '',
    });
  });
});
