import type { Transaction } from 'kysely';
import type { DB } from '../db/index.ts';
import type { NoticeQueue } from '../notify/index.ts';
import type { Clock } from '../platform/index.ts';
import type { RequestSource } from './risk.ts';

/**
 * The devices (X-Device-Id) a user has signed in from. A sign-in from one not seen before is told to the user,
 * unless it is the user's first device on record (sign-up, or the first sign-in after this table appeared).
 * A request without a device id is not judged: there is nothing to compare.
 */
export function createDeviceMemory(deps: { clock: Clock; notices?: NoticeQueue | undefined }) {
  /** Records the device; true when it was new for this user. */
  async function remember(trx: Transaction<DB>, userId: string, source?: RequestSource): Promise<boolean> {
    const device = source?.deviceId;
    if (!device) return false;
    const added = await trx
      .insertInto('user_devices')
      .values({ user_id: userId, device: device.slice(0, 200), first_seen_at: deps.clock.now() })
      .onConflict((oc) => oc.columns(['user_id', 'device']).doNothing())
      .returning('device')
      .executeTakeFirst();
    return added !== undefined;
  }

  /** In the sign-in's transaction: remembers the device and, when it is new beside known ones, tells the user. */
  async function signedIn(trx: Transaction<DB>, userId: string, source?: RequestSource): Promise<void> {
    if (!(await remember(trx, userId, source)) || !source?.deviceId) return;
    const other = await trx
      .selectFrom('user_devices')
      .select('device')
      .where('user_id', '=', userId)
      .where('device', '!=', source.deviceId.slice(0, 200))
      .limit(1)
      .executeTakeFirst();
    if (!other) return;
    await deps.notices?.enqueue(trx, {
      channel: 'email',
      to: { userId },
      template: 'login_new_device',
      data: {
        device: `${source.deviceId.slice(0, 8)}…`,
        ip: source.ip ?? null,
        at: deps.clock.now().toISOString(),
      },
    });
  }

  return { remember, signedIn };
}
