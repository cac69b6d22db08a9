import type { Brain, BrainReply, BrainRequest } from "../types";
import { chooseRunbook } from "./runbooks/choose";
import { nextTurn } from "./runbooks/drive";

// The prompt-injection end-to-end test reads the query the anomaly runbook sends.
export { denialLogQuery } from "./runbooks/anomaly";

/**
 * The offline, deterministic brain: fixed runbooks (runbooks/, one per fault) over the same tools a model
 * would use, chosen by the rule that opened the ticket. It is always labelled `runbook`, never presented as
 * AI. Its decisions are a pure function of the ticket and the conversation.
 */
export class RunbookBrain implements Brain {
  readonly name = "runbook" as const;
  readonly model = "runbook-v1";

  async reply(req: BrainRequest): Promise<BrainReply> {
    return {
      content: nextTurn(chooseRunbook(req.ticket), req.ticket, req.messages),
      stop_reason: "tool_use",
      usage: zeroUsage,
      model: this.model,
    };
  }
}

const zeroUsage = { input_tokens: 0, output_tokens: 0 };
