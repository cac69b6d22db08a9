import systemPrompt from "../agent/system-prompt.txt" with { type: "text" };
import { toolDefs } from "../agent/tools/registry";
import { harnessVersion } from "../version";
import type { BuildContext } from "./build";

export function trajectoryContext(): BuildContext {
  return { systemPrompt, tools: toolDefs(), harnessVersion };
}
