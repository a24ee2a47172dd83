/**
 * The status line of `bp build` on a terminal: one line at the bottom, re-rendered in place by
 * log-update while lines are printed above it (console.ts `createOut`). It is cut to the terminal's
 * width by its caller, so it never wraps; a resize re-renders it at once.
 */
import { createLogUpdate } from "log-update";
import type { StatusLine } from "./console.js";

export function terminalStatusLine(stream: NodeJS.WriteStream): StatusLine {
  // The cursor stays visible: hiding it needs a restore on every way out (a second Ctrl-C kills bp).
  // A terminal of unknown size (0x0, e.g. a bare pty) counts as 80x24: log-update would print nothing.
  const sized = {
    write: (text: string) => stream.write(text),
    get columns() {
      return stream.columns || 80;
    },
    get rows() {
      return stream.rows || 24;
    },
  } as unknown as NodeJS.WriteStream;
  const render = createLogUpdate(sized, { showCursor: true });
  let text: string | null = null;
  let shown = false;
  const show = () => {
    if (text === null) return;
    render(text);
    shown = true;
  };
  const hide = () => {
    if (shown) render.clear();
    shown = false;
  };
  const onResize = () => {
    hide();
    show();
  };
  return {
    set(t) {
      if (t === null) {
        hide();
        if (text !== null) stream.off("resize", onResize);
      } else if (text === null) stream.on("resize", onResize);
      text = t;
      show();
    },
    hide,
    show,
  };
}
