/** The duty console page: placeholder until the page itself is built (issue 4). */
export function consolePage(): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Checkpoint duty console</title></head>
<body><main><h1>Checkpoint duty console</h1><p>The console page is being built; its API is at /api.</p></main></body></html>`;
}
