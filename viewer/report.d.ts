// Types of viewer/report.js, the release's renderer, and of the contract every renderer of the
// isolated viewer follows: a module exporting `render(view)`.
import type { GatekeeperClient } from "../index.js";

/** What the viewer's frame gives a renderer. */
export interface ViewerView {
  /** The element the renderer draws into (with DOM calls: never HTML made from data). */
  readonly root: HTMLElement;
  /** The report's prefix, ending with "/". */
  readonly prefix: string;
  /** A client whose co-signatures go through the embedding page. */
  readonly client: GatekeeperClient;
  /** Shows a line of status in the frame (empty: none). */
  status(text: string): void;
  /** Shows an error with its stable code in the frame and reports the code to the page. */
  fail(error: unknown): void;
  /** Hides the error shown. */
  clearError(): void;
}

/** Draws the report under `view.prefix`. */
export declare function render(view: ViewerView): Promise<void>;
