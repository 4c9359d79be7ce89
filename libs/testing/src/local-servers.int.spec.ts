import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startS3rver, type RunningServer } from './local-servers.js';
import { s3Client } from './test-bucket.js';

let s3: RunningServer & { accessKey: string; secretKey: string };
beforeAll(async () => {
  s3 = await startS3rver();
});
afterAll(() => s3?.stop());

describe('the local s3rver', () => {
  /**
   * s3rver's delete removes a key's directories once they are empty, and its put creates them
   * before it opens the file: a delete between the two made the put's file stream fail with ENOENT,
   * unhandled, in the process that hosts s3rver (the test run's or `npm start`'s).
   */
  it('takes puts and deletes of neighbouring keys at once: every put stored, nothing thrown', async () => {
    const client = s3Client(s3.url, s3.accessKey, s3.secretKey);
    await client.makeBucket('race');
    const ROUNDS = 500;
    // One file at a time in the directory: each round deletes the last one while the next is put.
    await client.putObject('race', 'uploads/owner/0.json', Buffer.from('{}'));
    for (let round = 1; round <= ROUNDS; round++)
      await Promise.all([
        client.removeObject('race', `uploads/owner/${round - 1}.json`),
        client.putObject('race', `uploads/owner/${round}.json`, Buffer.from(`{"round":${round}}`)),
      ]);
    const left: string[] = [];
    for await (const object of client.listObjectsV2('race', '', true))
      if (object.name) left.push(object.name);
    expect(left).toEqual([`uploads/owner/${ROUNDS}.json`]);
  }, 120_000);
});
