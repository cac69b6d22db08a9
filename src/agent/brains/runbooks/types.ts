import type { Ticket } from "../../../tickets/model";
import type { ContentBlock } from "../../types";
import type { Conversation, ToolResult } from "./conversation";

/**
 * One fault's runbook. The common steps (investigate, finish when the criteria hold, ask a person, give up)
 * are the driver's (drive.ts); a runbook says only what is particular to its fault.
 */
export interface Runbook {
  /** The fault it handles, as reports and tests name it. */
  name: string;
  /** The investigation found the criteria violated: the runbook's next move, or null to ask a person. */
  onViolated(t: Ticket, c: Conversation, findings: string[]): ContentBlock[] | null;
  /** Replies to the answer of the runbook's own actions, by the tool it called last. */
  after: Readonly<
    Record<string, (t: Ticket, c: Conversation, result: ToolResult | undefined) => ContentBlock[]>
  >;
}
