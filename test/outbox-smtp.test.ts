import { createServer, type Server } from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config.ts';
import { smtpEmail } from '../src/outbox/index.ts';

/** A minimal SMTP server (no TLS, no auth): enough to see what the adapter hands a mail system. */
function smtpSink() {
  const messages: string[] = [];
  const server: Server = createServer((socket) => {
    let data = false;
    let buffer = '';
    socket.write('220 sink ESMTP\r\n');
    socket.on('data', (chunk) => {
      buffer += chunk.toString('utf8');
      for (;;) {
        if (data) {
          const end = buffer.indexOf('\r\n.\r\n');
          if (end < 0) return;
          messages.push(buffer.slice(0, end));
          buffer = buffer.slice(end + 5);
          data = false;
          socket.write('250 queued\r\n');
          continue;
        }
        const eol = buffer.indexOf('\r\n');
        if (eol < 0) return;
        const line = buffer.slice(0, eol).toUpperCase();
        buffer = buffer.slice(eol + 2);
        if (line.startsWith('EHLO')) socket.write('250-sink\r\n250 8BITMIME\r\n');
        else if (line.startsWith('DATA')) {
          data = true;
          socket.write('354 go ahead\r\n');
        } else if (line.startsWith('QUIT')) socket.end('221 bye\r\n');
        else socket.write('250 ok\r\n');
      }
    });
  });
  return { server, messages };
}

describe('email over SMTP', () => {
  const sink = smtpSink();
  let port = 0;
  beforeAll(async () => {
    await new Promise<void>((r) => sink.server.listen(0, '127.0.0.1', r));
    port = (sink.server.address() as AddressInfo).port;
  });
  afterAll(async () => {
    await new Promise((r) => sink.server.close(r));
  });

  it('carries the delivery id as Message-ID and Saifu-Delivery-Id', async () => {
    const email = smtpEmail({
      url: `smtp://127.0.0.1:${port}`,
      from: 'Saifu <no-reply@saifu.test>',
      domain: 'saifu.test',
    });
    await email.send({
      deliveryId: 'obx_01TEST',
      to: 'hanako@example.test',
      subject: '【Saifu】チャージ完了',
      text: '銀行口座から 5,000円 のチャージが完了しました。',
    });
    email.close();
    expect(sink.messages).toHaveLength(1);
    const message = sink.messages[0]!;
    expect(message).toMatch(/^Message-ID: <obx_01TEST@saifu\.test>$/im);
    expect(message).toMatch(/^Saifu-Delivery-Id: obx_01TEST$/im);
    expect(message).toMatch(/^To: hanako@example\.test$/im);
  });
});

describe('SAIFU_SMTP_URL', () => {
  it('is an smtp:// or smtps:// URL, unset by default', () => {
    expect(loadConfig({}).smtpUrl).toBeUndefined();
    expect(loadConfig({ SAIFU_SMTP_URL: 'smtps://u:p@smtp.example.jp:465' }).smtpUrl).toBe(
      'smtps://u:p@smtp.example.jp:465',
    );
    expect(() => loadConfig({ SAIFU_SMTP_URL: 'https://smtp.example.jp' })).toThrow(/SAIFU_SMTP_URL/);
  });
});
