import { describe, expect, it } from '@jest/globals';
import { notificationSession } from './notifications-session.js';
import { completed, progress, text, welcome } from './notifications.spec-helpers.js';

const receiveAll = (session: ReturnType<typeof notificationSession>, messages: unknown[]) =>
  messages.map((message) => session.receive(text(message)));

describe('the first message of a connection', () => {
  it('subscribes before anything was received', () => {
    const session = notificationSession({ topics: ['batch:b1', 'user'] });
    expect(session.openingMessage()).toEqual({ type: 'subscribe', topics: ['batch:b1', 'user'] });
  });

  it('resumes after the highest seq received, with every topic followed, in one message', () => {
    const session = notificationSession({ topics: ['batch:b1'] });
    receiveAll(session, [welcome(3), progress(4), progress(7)]);
    session.subscribe(['backup:k1']);
    expect(session.openingMessage()).toEqual({
      type: 'resume',
      lastSeq: 7,
      topics: ['batch:b1', 'backup:k1'],
    });
  });

  it('resumes from the welcome when no notification came, so nothing sent while away is missed', () => {
    const session = notificationSession({ topics: ['batch:b1'] });
    receiveAll(session, [welcome(41)]);
    expect(session.openingMessage()).toEqual({ type: 'resume', lastSeq: 41, topics: ['batch:b1'] });
    // The next connection's welcome is newer, but the gap since the first one is still owed.
    receiveAll(session, [welcome(58)]);
    expect(session.openingMessage()).toMatchObject({ lastSeq: 41 });
  });

  it('resumes from a seq kept by an earlier client', () => {
    const session = notificationSession({ topics: ['user'], lastSeq: 120 });
    expect(session.openingMessage()).toEqual({ type: 'resume', lastSeq: 120, topics: ['user'] });
    expect(session.receive(text(progress(120))).kind).toBe('duplicate');
  });

  it('resumes from a resync point: what came before it was refetched', () => {
    const session = notificationSession({ topics: ['batch:b1'] });
    receiveAll(session, [progress(5), { type: 'resync', reason: 'aged out', lastSeq: 90 }]);
    expect(session.openingMessage()).toMatchObject({ type: 'resume', lastSeq: 90 });
    expect(session.lastSeq).toBe(5);
  });

  it('sends nothing while no topic is followed', () => {
    const session = notificationSession();
    expect(session.openingMessage()).toBeUndefined();
    session.subscribe(['user']);
    session.unsubscribe(['user']);
    expect(session.openingMessage()).toBeUndefined();
  });
});

describe('the seq bookkeeping', () => {
  it('delivers each seq once and drops anything at or below the highest received', () => {
    const session = notificationSession({ topics: ['batch:b1'] });
    const received = receiveAll(session, [progress(1), progress(2), progress(2), progress(1), progress(4)]);
    expect(received.map((result) => result.kind)).toEqual([
      'notification',
      'notification',
      'duplicate',
      'duplicate',
      'notification',
    ]);
    expect(session.lastSeq).toBe(4);
  });

  it('never drops a live message for being older than the welcome', () => {
    const session = notificationSession({ topics: ['batch:b1'] });
    const received = receiveAll(session, [welcome(10), progress(8), completed(9)]);
    expect(received.map((result) => result.kind)).toEqual(['control', 'notification', 'notification']);
  });

  it('gives control messages as they are, without touching the seq', () => {
    const session = notificationSession({ topics: ['batch:b1'] });
    expect(session.receive(text({ type: 'pong' }))).toEqual({ kind: 'control', message: { type: 'pong' } });
    expect(session.receive(text({ type: 'subscribed', topics: ['batch:b1'] }))).toMatchObject({
      kind: 'control',
    });
    expect(session.lastSeq).toBe(0);
  });

  it('reports what is not in the protocol and goes on', () => {
    const session = notificationSession({ topics: ['batch:b1'] });
    expect(session.receive('not json')).toEqual({ kind: 'invalid', text: 'not json', reason: 'not JSON' });
    expect(session.receive(text({ type: 'gossip' }))).toMatchObject({ kind: 'invalid' });
    const unknownType = session.receive(text({ ...progress(3), type: 'batch.gossip' }));
    expect(unknownType).toMatchObject({ kind: 'invalid', reason: expect.stringContaining('type') });
    expect(session.receive(text({ ...progress(4), payload: { batch_id: 'b1' } }))).toMatchObject({
      kind: 'invalid',
      reason: expect.stringContaining('payload.'),
    });
    // A message with a seq is booked even when not understood: a replay would only repeat it.
    expect(session.lastSeq).toBe(4);
    expect(session.receive(text(progress(5))).kind).toBe('notification');
  });
});

describe('the topics followed', () => {
  it('answers only what changed, so a subscribe or unsubscribe sends only that', () => {
    const session = notificationSession({ topics: ['batch:b1'] });
    expect(session.subscribe(['batch:b1', 'backup:k1', 'backup:k1'])).toEqual(['backup:k1']);
    expect(session.unsubscribe(['batch:b1', 'operation:o1'])).toEqual(['batch:b1']);
    expect(session.topics).toEqual(['backup:k1']);
  });

  it('stops following a topic the server refused as not found', () => {
    const session = notificationSession({ topics: ['batch:b1', 'batch:theirs'] });
    session.receive(
      text({ type: 'refused', code: 'not_found', message: 'no such batch', topics: ['batch:theirs'] }),
    );
    expect(session.topics).toEqual(['batch:b1']);
  });

  it('refuses what is not a topic before anything is sent', () => {
    expect(() => notificationSession({ topics: ['batches'] })).toThrow(/"batches" is not a topic/);
    expect(() => notificationSession().subscribe(['batch:'])).toThrow(TypeError);
  });
});
