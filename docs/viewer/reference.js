// The reference page: Swagger UI rendering the server's own OpenAPI document. The
// document names localhost:8080 as its server; the page puts the server it was loaded
// from first, so that "Try it out" talks to this server wherever it runs.
(async () => {
  const shown = document.getElementById('reference-error');
  try {
    const res = await fetch('/api/v1/openapi.json', { headers: { Accept: 'application/json' } });
    if (!res.ok) {
      throw new Error(`GET /api/v1/openapi.json answered ${res.status}`);
    }
    const spec = await res.json();
    const here = { url: window.location.origin, description: 'this server' };
    spec.servers = [here, ...(spec.servers ?? []).filter((s) => s.url !== here.url)];
    window.ui = SwaggerUIBundle({
      spec,
      dom_id: '#swagger-ui',
      deepLinking: true,
      displayOperationId: true,
      validatorUrl: null,
      presets: [SwaggerUIBundle.presets.apis],
      layout: 'BaseLayout',
    });
  } catch (err) {
    shown.textContent = `The API document could not be loaded: ${err.message}`;
    shown.hidden = false;
  }
})();
