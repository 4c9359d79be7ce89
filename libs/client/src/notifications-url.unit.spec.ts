import { describe, expect, it } from '@jest/globals';
import { notificationsUrl } from './notifications-url.js';

describe('the /ws URL', () => {
  it('turns http into ws and https into wss, with the token as a query parameter', () => {
    expect(notificationsUrl('http://localhost:3000', 'jwt')).toBe('ws://localhost:3000/ws?token=jwt');
    expect(notificationsUrl('https://batch.example.com/', 'jwt')).toBe(
      'wss://batch.example.com/ws?token=jwt',
    );
  });

  it('keeps a ws(s) URL and a path prefix, and drops a query or fragment of the base URL', () => {
    expect(notificationsUrl('wss://edge.example.com/batch/?x=1#top', 'jwt')).toBe(
      'wss://edge.example.com/batch/ws?token=jwt',
    );
  });

  it('escapes the token', () => {
    expect(notificationsUrl('http://h', 'a+b/c=&d')).toBe('ws://h/ws?token=a%2Bb%2Fc%3D%26d');
  });

  it('refuses a URL that is not http(s) or ws(s)', () => {
    expect(() => notificationsUrl('ftp://h', 'jwt')).toThrow('not an http(s) or ws(s) URL: ftp://h');
    expect(() => notificationsUrl('localhost:3000', 'jwt')).toThrow(TypeError);
  });
});
