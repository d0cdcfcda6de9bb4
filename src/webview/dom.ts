/** A tiny DOM helper for the Copy Jobs views (no framework). */

type Attrs = Record<string, string | boolean | undefined>;

export function h<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Attrs = {}, ...children: (Node | string)[]): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === false) continue;
    if (k === 'class') el.className = String(v);
    else el.setAttribute(k, v === true ? '' : v);
  }
  for (const c of children) el.append(c);
  return el;
}

export function icon(name: string, spin = false): HTMLSpanElement {
  return h('span', { class: iconClass(name, spin), 'aria-hidden': 'true' });
}

export function iconClass(name: string, spin = false): string {
  return `codicon codicon-${name}${spin ? ' codicon-modifier-spin' : ''}`;
}

export function setText(el: Element, text: string): void {
  if (el.textContent !== text) el.textContent = text;
}

export function setTitle(el: HTMLElement, title: string): void {
  if (el.title !== title) el.title = title;
}
