import { invalid } from "../lib/errors";
import type { SloInput } from "../rules/model";

/**
 * Reads SLO definitions written for Sloth (`version: prometheus/v1`) or OpenSLO (`apiVersion: openslo/v1`,
 * `kind: SLO` with a ratio metric) into our SLO inputs. Window placeholders are kept as `{{.window}}`.
 */
export function importSlos(text: string): SloInput[] {
  const docs = text
    .split(/^---\s*$/m)
    .map((d) => d.trim())
    .filter(Boolean)
    .map((d) => Bun.YAML.parse(d) as Record<string, unknown>);
  const out: SloInput[] = [];
  for (const doc of docs) {
    if (doc.version === "prometheus/v1") {
      const service = String(doc.service ?? "service");
      for (const s of (doc.slos as Record<string, unknown>[] | undefined) ?? []) {
        const events = ((s.sli as Record<string, unknown>)?.events ?? {}) as {
          error_query?: string;
          total_query?: string;
        };
        if (!events.error_query || !events.total_query)
          throw invalid(
            `Sloth SLO ${String(s.name)}: only sli.events (error_query, total_query) is supported`,
          );
        out.push({
          name: String(s.name),
          service,
          objective: Number(s.objective),
          description: String(s.description ?? ""),
          sli: { bad: events.error_query, total: events.total_query },
        });
      }
    } else if (
      typeof doc.apiVersion === "string" &&
      doc.apiVersion.startsWith("openslo/") &&
      doc.kind === "SLO"
    ) {
      const spec = (doc.spec ?? {}) as Record<string, unknown>;
      const meta = (doc.metadata ?? {}) as { name?: string };
      const ratio = ((spec.indicator as Record<string, unknown>)?.spec as Record<string, unknown>)
        ?.ratioMetric as
        | {
            good?: { metricSource?: { spec?: { query?: string } } };
            bad?: { metricSource?: { spec?: { query?: string } } };
            total?: { metricSource?: { spec?: { query?: string } } };
          }
        | undefined;
      const q = (m?: { metricSource?: { spec?: { query?: string } } }) => m?.metricSource?.spec?.query;
      if (!ratio || !q(ratio.total) || !(q(ratio.good) || q(ratio.bad))) {
        throw invalid(
          `OpenSLO SLO ${meta.name}: only indicator.spec.ratioMetric with a Prometheus query is supported`,
        );
      }
      const objective = ((spec.objectives as { target?: number }[] | undefined) ?? [])[0]?.target;
      const window = ((spec.timeWindow as { duration?: string }[] | undefined) ?? [])[0]?.duration;
      out.push({
        name: String(meta.name),
        service: String(spec.service ?? "service"),
        description: String(spec.description ?? ""),
        objective: objective !== undefined && objective <= 1 ? objective * 100 : Number(objective),
        ...(window ? { window } : {}),
        sli: {
          total: q(ratio.total) as string,
          ...(q(ratio.bad) ? { bad: q(ratio.bad) as string } : { good: q(ratio.good) as string }),
        },
      });
    } else {
      throw invalid(
        "unrecognised SLO document: expected Sloth (version: prometheus/v1) or OpenSLO (apiVersion: openslo/v1, kind: SLO)",
      );
    }
  }
  return out;
}
