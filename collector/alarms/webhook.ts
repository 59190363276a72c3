/**
 * @module Northbound: a generic JSON webhook. Each POST carries up to 100 TS 28.532-shaped
 * notifications in order: `{"notifications":[{notificationId, notificationType, eventTime, alarm}]}`.
 * Any 2xx takes them; anything else (or no answer within `timeout`) is retried by the outbox.
 */
import type { Sender } from "./outbox.ts";
import { type AlarmNotification, notificationJson } from "./types.ts";

export interface WebhookOptions {
  readonly name: string;
  readonly url: string;
  readonly token?: string;
  readonly timeout: number;
}

/** One outbox message per notification. */
export function webhookMessage(n: AlarmNotification): string {
  return JSON.stringify(notificationJson(n));
}

export function webhookSender(o: WebhookOptions): Sender {
  return {
    name: `webhook:${o.name}`,
    batch: 100,
    async send(bodies, signal) {
      const res = await fetch(o.url, {
        method: "POST",
        headers: { "content-type": "application/json", ...(o.token ? { authorization: `Bearer ${o.token}` } : {}) },
        body: `{"notifications":[${bodies.join(",")}]}`,
        signal: AbortSignal.any([signal, AbortSignal.timeout(o.timeout)]),
      });
      await res.body?.cancel();
      if (!res.ok) throw new Error(`Cannot deliver to webhook ${o.name}: HTTP ${res.status}`);
    },
  };
}
