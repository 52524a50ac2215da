import type { WebClient } from '@slack/web-api';
import type { BotDeps } from './deps.ts';

/** How long a looked-up name is used before Slack is asked again. */
export const DISPLAY_NAME_TTL_MS = 60 * 60 * 1000;
/**
 * The longest a lookup may take: a listener answers Slack within 3 s, and its write and hand-off
 * come after the name.
 */
export const DISPLAY_NAME_TIMEOUT_MS = 800;
/** Names are evidence beside the id, not prose: a longer one is cut. */
const NAME_MAX = 200;

/** The name people see for a user (`users.info`), or undefined when Slack did not say in time. */
export type DisplayNameResolver = (
  client: WebClient,
  userId: string,
) => Promise<string | undefined>;

interface UserInfo {
  user?: {
    name?: string;
    real_name?: string;
    profile?: { display_name?: string; real_name?: string };
  };
}

/**
 * A resolver that asks `users.info` (scope `users:read`) and keeps each answer for a while, per
 * warm Lambda: `profile.display_name`, else `profile.real_name`, else the handle. A failure or a
 * slow answer gives undefined (the caller keeps the payload's name) and is not kept.
 */
export function createDisplayNameResolver(
  options: { ttlMs?: number; timeoutMs?: number; now?: () => number } = {},
): DisplayNameResolver {
  const {
    ttlMs = DISPLAY_NAME_TTL_MS,
    timeoutMs = DISPLAY_NAME_TIMEOUT_MS,
    now = Date.now,
  } = options;
  const cache = new Map<string, { name: string; at: number }>();
  return async (client, userId) => {
    const known = cache.get(userId);
    if (known && now() - known.at < ttlMs) return known.name;
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<undefined>((resolve) => {
      timer = setTimeout(() => resolve(undefined), timeoutMs);
    });
    const asked = (client.users.info({ user: userId }) as Promise<UserInfo>).then(
      (info) => pickName(info),
      () => undefined,
    );
    const name = await Promise.race([asked, late]).finally(() => clearTimeout(timer));
    if (name) cache.set(userId, { name, at: now() });
    return name;
  };
}

function pickName(info: UserInfo): string | undefined {
  const user = info.user;
  const name = [user?.profile?.display_name, user?.profile?.real_name, user?.real_name, user?.name]
    .map((n) => n?.trim())
    .find(Boolean);
  return name?.slice(0, NAME_MAX);
}

/**
 * The name to journal for whoever acted: the one people see in Slack when it can be had quickly,
 * else the handle the payload carried. Every listener names its caller through this.
 */
export async function nameCaller(
  deps: Pick<BotDeps, 'displayNameOf'>,
  client: WebClient,
  user: { id: string; name?: string | undefined },
): Promise<string | undefined> {
  const looked = await deps.displayNameOf?.(client, user.id).catch(() => undefined);
  return looked ?? user.name;
}
