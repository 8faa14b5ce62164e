import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inTransaction } from '../src/db/index.ts';
import {
  DELIVERY_ID_HEADER,
  REPLAY_WINDOW_SECONDS,
  SIGNATURE_HEADER,
  signWebhook,
  verifyWebhookSignature,
} from '../src/outbox/index.ts';
import { DATABASES } from './support/databases.ts';
import { type World, createWorld } from './support/world.ts';

const SECRET = 'whsec_test_0123456789abcdef';

describe('webhook signatures', () => {
  const body = JSON.stringify({ id: 'obx_1', type: 'payment.succeeded', data: { amount: 5000 } });
  const at = new Date('2026-11-10T03:00:00Z');

  it('verify with the documented recipe and fail when the body changes', () => {
    const header = signWebhook(SECRET, body, at);
    expect(header).toMatch(/^t=1794279600,v1=[0-9a-f]{64}$/);
    expect(verifyWebhookSignature(SECRET, header, body, at)).toBe(true);
    expect(verifyWebhookSignature(SECRET, header, body.replace('5000', '5001'), at)).toBe(false);
    expect(verifyWebhookSignature('another-secret-entirely', header, body, at)).toBe(false);
    expect(verifyWebhookSignature(SECRET, undefined, body, at)).toBe(false);
    expect(verifyWebhookSignature(SECRET, 'v1=abc', body, at)).toBe(false);
    // A rotated secret: either signature may match.
    const rotated = `${header},v1=${'0'.repeat(64)}`;
    expect(verifyWebhookSignature(SECRET, rotated, body, at)).toBe(true);
  });

  it('fail outside the replay window', () => {
    const header = signWebhook(SECRET, body, at);
    const edge = at.getTime() + REPLAY_WINDOW_SECONDS * 1000;
    expect(verifyWebhookSignature(SECRET, header, body, edge)).toBe(true);
    expect(verifyWebhookSignature(SECRET, header, body, edge + 1000)).toBe(false);
    expect(verifyWebhookSignature(SECRET, header, body, at.getTime() - REPLAY_WINDOW_SECONDS * 1000 - 1000)).toBe(
      false,
    );
  });
});

describe.each(DATABASES)('webhooks over HTTP on %s', (kind) => {
  let w: World;
  let server: Server;
  let url: string;
  const received: Array<{ deliveryId: string; verified: boolean; body: string }> = [];
  let answer = 500;

  beforeAll(async () => {
    w = await createWorld(kind);
    // A merchant's receiver: raw body, signature checked with the helper, duplicates dropped by delivery id.
    server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const raw = Buffer.concat(chunks).toString('utf8');
        const deliveryId = String(req.headers[DELIVERY_ID_HEADER.toLowerCase()]);
        const signature = req.headers[SIGNATURE_HEADER.toLowerCase()] as string | undefined;
        received.push({
          deliveryId,
          verified: verifyWebhookSignature(SECRET, signature, raw, w.clock.now()),
          body: raw,
        });
        res.statusCode = answer;
        res.end();
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks/saifu`;
  });
  afterAll(async () => {
    await new Promise((r) => server.close(r));
    await w.close();
  });

  it('are signed, retried after a 500 with the same delivery id, and logged', async () => {
    const endpoint = await w.outbox.webhooks.registerEndpoint({ owner: 'mer_shop', url, secret: SECRET });
    const stored = await w.db
      .selectFrom('webhook_endpoints')
      .select('secret')
      .where('id', '=', endpoint.id)
      .executeTakeFirstOrThrow();
    expect(stored.secret).not.toContain(SECRET);
    const [id] = await inTransaction(w.db, (trx) =>
      w.outbox.emitWebhook(trx, {
        owner: 'mer_shop',
        type: 'payment.succeeded',
        data: { paymentId: 'pay_1', amount: 5000, reference: 'order-42' },
        idempotencyKey: 'payment.succeeded:pay_1',
      }),
    );
    expect(id).toMatch(/^obx_/);
    expect(
      await inTransaction(w.db, (trx) =>
        w.outbox.emitWebhook(trx, {
          owner: 'mer_shop',
          type: 'payment.succeeded',
          data: {},
          idempotencyKey: 'payment.succeeded:pay_1',
        }),
      ),
    ).toEqual([]);
    answer = 500;
    expect(await w.outbox.dispatch()).toMatchObject({ claimed: 1, retried: 1 });
    w.clock.advance(60 * 60 * 1000);
    answer = 204;
    expect(await w.outbox.dispatch()).toMatchObject({ claimed: 1, sent: 1 });
    expect(received.map((r) => [r.deliveryId, r.verified])).toEqual([
      [id, true],
      [id, true],
    ]);
    expect(JSON.parse(received[1]!.body)).toMatchObject({
      id,
      type: 'payment.succeeded',
      data: { paymentId: 'pay_1', amount: 5000, reference: 'order-42' },
    });
    const message = await w.outbox.get(id!);
    expect(message.deliveries.map((d) => [d.status, d.responseStatus])).toEqual([
      ['failed', 500],
      ['sent', 204],
    ]);
    // A disabled endpoint gets nothing more: its messages die at once.
    await w.outbox.webhooks.disableEndpoint(endpoint.id);
    const late = await inTransaction(w.db, (trx) =>
      w.outbox.enqueue(trx, { channel: 'webhook', to: endpoint.id, template: 'payment.refunded', data: {} }),
    );
    expect(await w.outbox.dispatch()).toMatchObject({ dead: 1 });
    expect((await w.outbox.get(late!)).lastError).toContain('unknown or disabled');
  });
});
