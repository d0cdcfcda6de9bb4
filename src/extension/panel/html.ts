/** The Copy Jobs webview's HTML: a strict CSP (nonce for scripts and styles, no inline code), assets from the bundle. */
import type { JobFilter } from '../../shared/protocol';

interface PanelHtmlOptions {
  /** `webview.cspSource`. */
  readonly cspSource: string;
  /** The webview URI of a file under dist/webview. */
  readonly asset: (name: string) => string;
  /** A fresh random nonce (base64) per page. */
  readonly nonce: string;
  readonly filter: JobFilter;
  readonly title: string;
}

export function panelHtml({ cspSource, asset, nonce, filter, title }: PanelHtmlOptions): string {
  // No 'unsafe-inline' / 'unsafe-eval': lit (under @vscode-elements) styles its shadow roots with constructable
  // stylesheets (adoptedStyleSheets), which CSP does not govern; our own CSS is a file; scripts carry the nonce.
  const csp = [`default-src 'none'`, `style-src ${cspSource} 'nonce-${nonce}'`, `font-src ${cspSource}`, `img-src ${cspSource}`, `script-src 'nonce-${nonce}'`].join('; ');
  return `<!DOCTYPE html>
<html lang="en">
<head>
  <meta charset="UTF-8">
  <meta http-equiv="Content-Security-Policy" content="${csp}">
  <meta name="viewport" content="width=device-width, initial-scale=1.0">
  <link id="vscode-codicon-stylesheet" rel="stylesheet" nonce="${nonce}" href="${asset('codicon.css')}">
  <link rel="stylesheet" nonce="${nonce}" href="${asset('main.css')}">
  <title>${title}</title>
</head>
<body>
  <div id="app" data-filter="${filter}"></div>
  <script nonce="${nonce}" src="${asset('main.js')}"></script>
</body>
</html>`;
}
