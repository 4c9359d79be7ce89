import type { JetStreamManager } from '@nats-io/jetstream';
import type { NatsConnection, Subscription } from '@nats-io/transport-node';
import type { Names } from '@batch/contracts';

/**
 * The stream's last sequence, from a lookup that started after the call: calls arriving together
 * share one STREAM.INFO (one per read cost ~15% of a reader's CPU under read load), and none gets a
 * sequence older than its own arrival. 0 when the lookup fails: the reader then waits for nothing
 * and answers from the read model.
 */
export function lastSequenceOf(jsm: JetStreamManager, stream: string): () => Promise<number> {
  const waiting: ((seq: number) => void)[] = [];
  let lookingUp = false;
  async function lookUp(): Promise<void> {
    lookingUp = true;
    while (waiting.length > 0) {
      const answered = waiting.splice(0);
      const seq = await jsm.streams
        .info(stream)
        .then((info) => info.state.last_seq)
        .catch(() => 0);
      answered.forEach((resolve) => resolve(seq));
    }
    lookingUp = false;
  }
  return () => {
    const seq = new Promise<number>((resolve) => waiting.push(resolve));
    if (!lookingUp) void lookUp();
    return seq;
  };
}

/** Tells readers elsewhere that the read models hold every event up to `seq` (committed). */
export function announceProjected(nc: NatsConnection, names: Names, seq: number): void {
  nc.publish(names.projected, String(seq));
}

/** Hears each announcement of `announceProjected`. */
export function watchProjected(nc: NatsConnection, names: Names, heard: (seq: number) => void): Subscription {
  return nc.subscribe(names.projected, { callback: (_error, message) => heard(Number(message.string())) });
}
