/**
 * Imported first by main.ts. Lit (inside @vscode-elements) styles shadow roots with constructable stylesheets
 * (adoptedStyleSheets), which the CSP does not restrict. Only where those are unsupported does it fall back to
 * <style> elements, stamped with `window.litNonce`: give it the page's script nonce so the fallback passes the
 * CSP too (style-src 'nonce-…') instead of needing 'unsafe-inline'.
 */
const script = document.currentScript as HTMLScriptElement | null;
if (script?.nonce) (window as unknown as { litNonce?: string }).litNonce = script.nonce;

export {};
