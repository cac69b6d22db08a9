import { type Scenario, scenarios } from "../lab/scenarios";

/**
 * A shipped traffic scenario on the tests' time scale: shorter phases and history, and 15 s rate windows,
 * which the tests' 1 s scrape interval allows (the files use 1 m for the default 15 s scrape).
 */
export function shortenedScenario(name: string): Scenario {
  const s = scenarios.find((x) => x.name === name);
  if (!s) throw new Error(`no scenario ${name}`);
  const fault = { ...s.fault, duration: "30s", base_duration: "45s" } as Scenario["fault"];
  const anomalies = (s.rules?.anomalies ?? []).map((a) => ({
    ...a,
    query: a.query.replaceAll("[1m]", "[15s]"),
    min_history: "40s",
  }));
  return { ...s, fault, rules: { invariants: [], anomalies } };
}
