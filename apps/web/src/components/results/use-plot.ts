"use client";
import { useEffect, useRef, type RefObject } from "react";

/**
 * Renders an Observable Plot chart into the returned div's ref, after layout and
 * only in the browser (Plot needs a DOM). `build` gets the view and the div's
 * width; the chart is rebuilt when the view changes or the div is resized, and
 * removed on unmount. The host div should carry `role="img"` and an aria-label. Pass a module-level `build` (a new function on every
 * render would rebuild the chart on every render).
 */
export function usePlot<V>(
  view: V,
  build: (view: V, width: number) => Element,
): RefObject<HTMLDivElement | null> {
  const ref = useRef<HTMLDivElement>(null);

  useEffect(() => {
    const host = ref.current;
    if (host === null) return;
    let width = -1;
    let chart: Element | undefined;
    const render = () => {
      const next = Math.floor(host.clientWidth) || 640;
      if (next === width) return;
      width = next;
      chart?.remove();
      chart = build(view, width);
      stripAriaLabels(chart);
      host.replaceChildren(chart);
    };
    render();
    const observer = new ResizeObserver(render);
    observer.observe(host);
    return () => {
      observer.disconnect();
      chart?.remove();
    };
  }, [view, build]);

  return ref;
}

/**
 * Plot names its marks' `<g>` elements with aria-label, which ARIA forbids on
 * elements without a role (axe: aria-prohibited-attr, serious). The host div
 * names the chart as a whole, so the inner labels are removed.
 */
function stripAriaLabels(chart: Element): void {
  for (const name of ["aria-label", "aria-description"])
    for (const e of [chart, ...chart.querySelectorAll(`[${name}]`)])
      e.removeAttribute(name);
}
