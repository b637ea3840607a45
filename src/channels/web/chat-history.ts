/**
 * The web chat's history as the page shows it after a reload: the bot's messages with their
 * buttons, and each button press shown with the label the member chose (the message log keeps a
 * press as its payload only).
 */
import type { ChatLine } from "../../domain/messages/message-log.ts";

export interface Choice {
  label: string;
  payload: string;
}

export interface HistoryLine {
  id: number;
  direction: "in" | "out";
  text: string | null;
  choices?: Choice[];
  /** True for a button press (its text is the label of the button). */
  pressed?: boolean;
}

function parseChoices(payload: string | null): Choice[] | undefined {
  if (!payload) return undefined;
  try {
    const value: unknown = JSON.parse(payload);
    if (!Array.isArray(value)) return undefined;
    const choices = value.filter((c): c is Choice => typeof c?.label === "string" && typeof c?.payload === "string");
    return choices.length ? choices : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Turns message-log lines (oldest first) into the page's history. A press takes the label of the
 * latest earlier button with that payload; `fallbackLabel` names a press whose button is no longer
 * in the lines. Only the last `limit` lines are returned: pass a few more lines than that so a press
 * at the top still finds its button.
 */
export function pageHistory(lines: ChatLine[], limit: number, fallbackLabel: string): HistoryLine[] {
  const labels = new Map<string, string>();
  const out: HistoryLine[] = [];
  for (const line of lines) {
    if (line.direction === "out") {
      const choices = parseChoices(line.payload);
      for (const c of choices ?? []) labels.set(c.payload, c.label);
      out.push({ id: line.id, direction: "out", text: line.text, choices });
    } else if (!line.text && line.payload) {
      out.push({ id: line.id, direction: "in", text: labels.get(line.payload) ?? fallbackLabel, pressed: true });
    } else {
      out.push({ id: line.id, direction: "in", text: line.text });
    }
  }
  return out.slice(-limit);
}
