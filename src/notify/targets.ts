import type { Config } from "../config";
import { invalid } from "../lib/errors";
import { type Channel, defaultEvents, type NotifyEvent, type Target, targetName } from "./model";

type Env = Record<string, string | undefined>;
type Section = Config["notify"];

/** Every target's environment variables, by the config key that names them (for messages and redaction). */
function envNames(n: Section): { where: string; name: string }[] {
  return [
    ...n.slack.flatMap((s, i) =>
      s.url_env ? [{ where: `notify.slack[${i}].url_env`, name: s.url_env }] : [],
    ),
    ...n.webhooks.map((w, i) => ({ where: `notify.webhooks[${i}].secret_env`, name: w.secret_env })),
    ...n.pagerduty.map((p, i) => ({
      where: `notify.pagerduty[${i}].routing_key_env`,
      name: p.routing_key_env,
    })),
  ];
}

/** The names of the environment variables holding notification secrets (tests may never see them). */
export const notifySecretNames = (n: Section): string[] => envNames(n).map((e) => e.name);

/** The values of those secrets that are set, for the redactor; a Slack URL written in the file counts too. */
export function notifySecrets(n: Section, env: Env): string[] {
  const set = envNames(n).flatMap((e) => (env[e.name] ? [env[e.name] as string] : []));
  return [...set, ...n.slack.flatMap((s) => (s.url ? [s.url] : []))];
}

/** The configured targets with their secrets; a named variable that is not set stops start-up, naming it. */
export function notifyTargets(n: Section, env: Env): Target[] {
  const read = (where: string, name: string): string => {
    const value = env[name];
    if (!value) throw invalid(`${where} names ${name}, which is not set in the environment`);
    return value;
  };
  const target = (
    channel: Channel,
    i: number,
    t: { name?: string | undefined; events?: NotifyEvent[] | undefined },
    url: string,
    secret: string | null,
  ): Target => ({
    name: targetName(channel, i, t.name),
    channel,
    url,
    secret,
    events: t.events ?? defaultEvents[channel],
  });
  return [
    ...n.slack.map((s, i) => {
      const url = s.url ?? read(`notify.slack[${i}].url_env`, s.url_env ?? "");
      // Checked here, not by the schema: the URL is a secret, so it is quoted in no message.
      if (!/^https?:\/\/\S+$/.test(url))
        throw invalid(`notify.slack[${i}].url_env names ${s.url_env}, which does not hold an http(s) URL`);
      return target("slack", i, s, url, null);
    }),
    ...n.webhooks.map((w, i) =>
      target("webhook", i, w, w.url, read(`notify.webhooks[${i}].secret_env`, w.secret_env)),
    ),
    ...n.pagerduty.map((p, i) =>
      target("pagerduty", i, p, p.url, read(`notify.pagerduty[${i}].routing_key_env`, p.routing_key_env)),
    ),
  ];
}

/** Where ticket links point: `notify.public_url`, else the web role's own address. */
export const publicUrl = (config: Pick<Config, "notify" | "server">): string =>
  (config.notify.public_url ?? `http://${config.server.host}:${config.server.port}`).replace(/\/+$/, "");
